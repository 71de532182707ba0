"""What the patient wants from treatment: each therapy (want, unsure, decline) and the goals that matter to them."""
