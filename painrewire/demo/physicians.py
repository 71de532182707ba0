"""Demo doctors: a GP for each demo patient (Li has not yet said whether letters may go to hers), and James's
referring orthopaedic surgeon."""

from __future__ import annotations

from sqlalchemy.orm import Session

from painrewire.demo.clinic import DemoClinic
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianSave

DOCTORS = {
    "maria": [
        (
            PhysicianRole.GP,
            PhysicianSave(
                name="Dr Helen Marsh",
                practice="Riverside Surgery",
                address="12 Mill Lane, Oxford OX1 2AB",
                phone="01865 000 111",
                email="riverside.surgery@nhs.example.org",
                share_letters=True,
            ),
        )
    ],
    "james": [
        (
            PhysicianRole.GP,
            PhysicianSave(
                name="Dr Imran Shah",
                practice="Eastgate Medical Centre",
                address="3 Eastgate Street, Leeds LS2 7JX",
                phone="0113 000 2222",
                email="eastgate.medical@nhs.example.org",
                share_letters=True,
            ),
        ),
        (
            PhysicianRole.REFERRING,
            PhysicianSave(
                name="Mr Daniel Okoro",
                practice="Spinal clinic, St Luke's Hospital",
                address="St Luke's Hospital, Leeds LS9 7TF",
                share_letters=False,
            ),
        ),
    ],
    "aisha": [
        (
            PhysicianRole.GP,
            PhysicianSave(
                name="Dr Sarah Lewis",
                practice="Park Road Practice",
                address="88 Park Road, Bristol BS3 1PX",
                phone="0117 000 3333",
                share_letters=True,
            ),
        )
    ],
    "noah": [
        (
            PhysicianRole.GP,
            PhysicianSave(
                name="Dr Ruth Adeyemi",
                practice="Canal Side Surgery",
                address="1 Wharf Road, Manchester M1 5AA",
                email="canalside.surgery@nhs.example.org",
                share_letters=True,
            ),
        )
    ],
    "li": [(PhysicianRole.GP, PhysicianSave(name="Dr Anna Kowalski", practice="Harbour Health Centre"))],
}


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    for key, doctors in DOCTORS.items():
        patient = clinic.patients.get(key)
        if patient is None:
            continue
        for role, data in doctors:
            physicians.save_physician_for(session, patient.user, patient, role, data)
    session.flush()
