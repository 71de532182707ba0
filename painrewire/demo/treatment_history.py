"""Demo treatment histories, as patients tell them: Maria had physiotherapy twice (the second helped a little),
an NSAID that helped a little, an opioid that did not help and made her drowsy, and amitriptyline; James an
NSAID, pregabalin that did not help, and physiotherapy after his injury; Aisha painkillers, a course of CBT and
duloxetine she stopped for nausea; Noah an NSAID that helps a lot (a feature his pain specialist will weigh
before clearing him). Years count back from today, so the demo never holds a future date."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.treatment_history import service as history
from painrewire.treatment_history.schemas import TreatmentCreate


def _maria(year: int) -> list[dict[str, Any]]:
    return [
        {
            "category": "physiotherapy",
            "name": "NHS physiotherapy (exercise sheet)",
            "started_year": year - 6,
            "duration_weeks": 6,
            "effect": "none",
            "notes": "Exercises made it flare; stopped after six sessions.",
        },
        {
            "category": "medicine",
            "medicine_class": "nsaid",
            "name": "Naproxen",
            "dose": "500 mg twice a day",
            "started_year": year - 6,
            "ended_year": year - 5,
            "duration_weeks": 30,
            "effect": "some",
            "side_effects": "Heartburn",
        },
        {
            "category": "medicine",
            "medicine_class": "opioid",
            "name": "Co-codamol 30/500",
            "dose": "2 tablets up to four times a day",
            "started_year": year - 4,
            "duration_weeks": 8,
            "effect": "none",
            "side_effects": "Drowsy, constipated, foggy at work",
        },
        {
            "category": "physiotherapy",
            "name": "Private physiotherapy with graded exercise",
            "started_year": year - 3,
            "duration_weeks": 10,
            "effect": "some",
        },
        {
            "category": "medicine",
            "medicine_class": "antidepressant",
            "name": "Amitriptyline",
            "dose": "10 mg at night",
            "started_year": year - 2,
            "duration_weeks": 12,
            "effect": "some",
            "side_effects": "Dry mouth, groggy mornings",
        },
    ]


def _james(year: int) -> list[dict[str, Any]]:
    return [
        {
            "category": "medicine",
            "medicine_class": "nsaid",
            "name": "Ibuprofen",
            "dose": "400 mg three times a day",
            "started_year": year - 1,
            "duration_weeks": 4,
            "effect": "some",
        },
        {
            "category": "medicine",
            "medicine_class": "gabapentinoid",
            "name": "Pregabalin",
            "dose": "75 mg twice a day",
            "started_year": year - 1,
            "duration_weeks": 6,
            "effect": "none",
            "side_effects": "Dizzy, put on weight",
        },
        {
            "category": "physiotherapy",
            "name": "Physiotherapy after the injury",
            "started_year": year - 1,
            "duration_weeks": 6,
            "effect": "some",
        },
    ]


def _aisha(year: int) -> list[dict[str, Any]]:
    return [
        {
            "category": "medicine",
            "medicine_class": "simple_analgesic",
            "name": "Paracetamol",
            "dose": "1 g when needed",
            "started_year": year - 4,
            "effect": "some",
        },
        {
            "category": "psychological",
            "name": "CBT through the talking therapies service",
            "started_year": year - 3,
            "duration_weeks": 8,
            "effect": "some",
        },
        {
            "category": "medicine",
            "medicine_class": "antidepressant",
            "name": "Duloxetine",
            "dose": "30 mg a day",
            "started_year": year - 1,
            "duration_weeks": 3,
            "effect": "none",
            "side_effects": "Nausea; stopped it",
        },
    ]


def _noah(year: int) -> list[dict[str, Any]]:
    return [
        {
            "category": "medicine",
            "medicine_class": "nsaid",
            "name": "Ibuprofen",
            "dose": "400 mg three times a day",
            "started_year": year - 2,
            "effect": "good",
            "notes": "Takes the morning stiffness away within a day or two; it comes back when he stops.",
        },
        {
            "category": "physiotherapy",
            "name": "Gym programme from a physiotherapist",
            "started_year": year - 1,
            "duration_weeks": 12,
            "effect": "some",
        },
    ]


HISTORIES = {"maria": _maria, "james": _james, "aisha": _aisha, "noah": _noah}


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    year = utcnow().year
    lead = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    for key, entries in HISTORIES.items():
        patient = clinic.patients.get(key)
        if patient is None:
            continue
        for n, values in enumerate(entries(year)):
            # Most were entered by the patient; the first one by the pain specialist at the first visit.
            actor = lead if n == 0 else patient.user
            history.add_entry_for(session, actor, patient, TreatmentCreate.model_validate(values))
    session.flush()
