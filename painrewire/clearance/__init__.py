"""Clearance for practice by a medically qualified clinician."""
