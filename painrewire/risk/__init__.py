"""Suicide and self-harm risk: the clinician's structured risk assessment and the patient's safety plan."""
