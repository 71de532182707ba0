"""The demo clinic's people: one admin, one clinician of each discipline, and the patients, with their care teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from painrewire.accounts import service as accounts
from painrewire.accounts.models import Discipline, Role, User
from painrewire.accounts.schemas import UserCreate
from painrewire.config import get_settings
from painrewire.patients import service as patients
from painrewire.patients.models import Patient
from painrewire.patients.schemas import PatientCreate, SignUp

DEMO_PASSWORD = "painrewire-demo"
DOMAIN = "demo.painrewire.org"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    description: str


@dataclass
class DemoClinic:
    admin: User
    clinicians: dict[Discipline, User]
    patients: dict[str, Patient]


CLINICIANS = [
    (Discipline.PAIN_SPECIALIST, "Dr Amara Okafor", "amara.okafor"),
    (Discipline.PHYSICAL_THERAPIST, "Sam Lindqvist", "sam.lindqvist"),
    (Discipline.PSYCHOLOGIST, "Dr Priya Raman", "priya.raman"),
    (Discipline.NEUROFEEDBACK_PRACTITIONER, "Tomás Herrera", "tomas.herrera"),
]

PATIENTS = [
    ("maria", "Maria Gonzalez", date(1979, 3, 14), "Eight weeks into the program, improving"),
    ("james", "James Whitfield", date(1965, 11, 2), "Just started: intake and baseline done"),
    ("aisha", "Aisha Bello", date(1990, 6, 21), "Flare-up this week: worsening diary"),
    (
        "noah",
        "Noah Brennan",
        date(1990, 9, 30),
        "Intake done: practice waits for the pain specialist's clearance",
    ),
    ("li", "Li Wei", date(1984, 1, 9), "Signed up online: waiting for a care team"),
]
SELF_REGISTERED = "li"


def build_demo_clinic(session: Session) -> DemoClinic:
    """Accounts and care teams; each domain's demo history is added by the steps of `painrewire.demo`."""
    admin = accounts.create_user(
        session,
        None,
        UserCreate(
            email=f"admin@{DOMAIN}", full_name="Robin Front-Desk", password=DEMO_PASSWORD, role=Role.ADMIN
        ),
        trusted=True,
    )
    clinicians = {
        discipline: accounts.create_user(
            session,
            admin,
            UserCreate(
                email=f"{slug}@{DOMAIN}",
                full_name=name,
                password=DEMO_PASSWORD,
                role=Role.CLINICIAN,
                discipline=discipline,
            ),
        )
        for discipline, name, slug in CLINICIANS
    }
    lead = clinicians[Discipline.PAIN_SPECIALIST]
    team = [c.id for c in clinicians.values()]
    zone = get_settings().clinic_timezone
    demo_patients: dict[str, Patient] = {}
    for key, name, born, _ in PATIENTS:
        if key == SELF_REGISTERED:
            demo_patients[key] = patients.sign_up(
                session,
                SignUp(email=f"{key}@{DOMAIN}", full_name=name, password=DEMO_PASSWORD, date_of_birth=born),
                clinic_timezone=zone,
            )
            continue
        demo_patients[key] = patients.create_patient(
            session,
            lead,
            PatientCreate(
                email=f"{key}@{DOMAIN}",
                full_name=name,
                password=DEMO_PASSWORD,
                date_of_birth=born,
                care_team=team,
            ),
            clinic_timezone=zone,
        )
    return DemoClinic(admin=admin, clinicians=clinicians, patients=demo_patients)
