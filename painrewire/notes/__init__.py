"""Clinical notes written by the care team, each tagged with its author's discipline."""
