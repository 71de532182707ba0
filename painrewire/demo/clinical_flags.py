"""Demo clinical judgement: James's physical therapist saw fear of movement at his first visit. The clinic has no
licence for the TSK-11, so this is what opens graded exposure in the plan proposed for him (the plans step,
after this one)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.clinical_flags import service as flags
from painrewire.clinical_flags.models import FlagKind
from painrewire.clinical_flags.schemas import FlagCreate
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    james = clinic.patients["james"]
    physio = clinic.clinicians[Discipline.PHYSICAL_THERAPIST]
    flags.record_flag(
        session,
        physio,
        james.id,
        FlagCreate(
            kind=FlagKind.FEAR_OF_MOVEMENT,
            note="Will not bend to lift anything since the fridge injury; sits down stiffly, holding his breath.",
        ),
        now=utcnow() - timedelta(days=1),
    )
