"""Live sessions in the server: ``hub`` (a process's sessions, ``hub_of(app)``), ``runner`` (the live loop of one
session), ``messages`` (channels and what goes to the patient's screen and the practitioner's console) and
``broadcast`` (the channel between processes: in memory, or Redis)."""
