"""A demo clinic: one admin, one clinician of each discipline, and patients with some history.

`create_demo_clinic` builds the people (`painrewire.demo.clinic`), then runs `STEPS` in order: each adds one
domain's history through the services a clinician or patient would use, so a step may rely on those before it
(clearances need the intakes, plans need the assessments, the programs' practice needs the clearances).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from painrewire import courses
from painrewire.db import get_engine, session_scope
from painrewire.demo import (
    assessments,
    cbt,
    clearance,
    clinical_flags,
    consent,
    diary,
    directory,
    gmi,
    messages,
    mindfulness,
    neurofeedback,
    notes,
    physicians,
    plans,
    prt,
    referrals,
    scheduling,
    therapy_preferences,
    treatment_history,
)
from painrewire.demo.clinic import (
    CLINICIANS,
    DEMO_PASSWORD,
    DOMAIN,
    PATIENTS,
    SELF_REGISTERED,
    DemoClinic,
    DemoLogin,
    build_demo_clinic,
)

__all__ = [
    "CLINICIANS",
    "DEMO_PASSWORD",
    "DOMAIN",
    "PATIENTS",
    "SELF_REGISTERED",
    "STEPS",
    "DemoClinic",
    "DemoLogin",
    "build_demo_clinic",
    "create_demo_clinic",
]

Step = Callable[[Session, DemoClinic], None]

#: Each domain's demo history, in the order it is added.
STEPS: list[Step] = [
    consent.add_demo_history,
    assessments.add_demo_history,
    clearance.add_demo_history,
    physicians.add_demo_history,
    therapy_preferences.add_demo_history,
    treatment_history.add_demo_history,
    scheduling.add_demo_history,
    directory.add_demo_history,
    diary.add_demo_history,
    clinical_flags.add_demo_history,
    plans.add_demo_history,
    cbt.add_demo_history,
    mindfulness.add_demo_history,
    prt.add_demo_history,
    gmi.add_demo_history,
    neurofeedback.add_demo_history,
    referrals.add_demo_history,
    notes.add_demo_history,
    messages.add_demo_history,
]

#: The PRT course's and the diary progress's sources (``painrewire.courses``) are wired in once imported.
WIRING = (courses,)


def create_demo_clinic(database_url: str) -> list[DemoLogin]:
    """Fill an empty, migrated database with the demo clinic and return the logins to print."""
    with session_scope(get_engine(database_url)) as session:
        clinic = build_demo_clinic(session)
        for step in STEPS:
            step(session, clinic)
            session.flush()
    logins = [DemoLogin("admin", f"admin@{DOMAIN}", "front desk: accounts, care teams, audit log")]
    logins += [DemoLogin("clinician", f"{slug}@{DOMAIN}", d.label) for d, _, slug in CLINICIANS]
    logins += [DemoLogin("patient", f"{key}@{DOMAIN}", story) for key, _, _, story in PATIENTS]
    return logins
