"""Who a user is to the clinic, and a clinician's discipline: the one vocabulary for both (no database here)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PATIENT = "patient"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class Discipline(enum.StrEnum):
    PAIN_SPECIALIST = "pain_specialist"
    PHYSICAL_THERAPIST = "physical_therapist"
    PSYCHOLOGIST = "psychologist"
    NEUROFEEDBACK_PRACTITIONER = "neurofeedback_practitioner"

    @property
    def label(self) -> str:
        return {
            Discipline.PAIN_SPECIALIST: "Pain specialist",
            Discipline.PHYSICAL_THERAPIST: "Physical therapist",
            Discipline.PSYCHOLOGIST: "Psychologist",
            Discipline.NEUROFEEDBACK_PRACTITIONER: "Neurofeedback practitioner",
        }[self]
