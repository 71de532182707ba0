"""Demo preferences: Maria wants most therapies, neurofeedback included (she has sessions); James declines
neurofeedback and is unsure about CBT; Aisha wants CBT and mindfulness and is unsure about neurofeedback. Runs
before the plans, so a plan that reads preferences sees them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.practice.models import Module
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, Goal
from painrewire.therapy_preferences.schemas import PreferencesUpdate

W, U, D = Choice.WANT, Choice.UNSURE, Choice.DECLINE
PREFERENCES = {
    "maria": PreferencesUpdate(
        choices={Module.PRT: W, Module.GMI: W, Module.CBT: U, Module.MINDFULNESS: W, Module.NEUROFEEDBACK: W},
        goals=[Goal.MOVE_WITHOUT_FEAR, Goal.LIFT_AND_CARRY, Goal.SLEEP_BETTER],
        other_goal="Garden again and pick up my grandson",
    ),
    "james": PreferencesUpdate(
        choices={Module.PRT: U, Module.GMI: W, Module.CBT: U, Module.MINDFULNESS: U, Module.NEUROFEEDBACK: D},
        goals=[Goal.EXERCISE_OR_SPORT, Goal.FEWER_FLARE_UPS, Goal.LESS_MEDICATION],
        other_goal="Five-a-side football again",
    ),
    "aisha": PreferencesUpdate(
        choices={Module.PRT: W, Module.GMI: U, Module.CBT: W, Module.MINDFULNESS: W, Module.NEUROFEEDBACK: U},
        goals=[Goal.SLEEP_BETTER, Goal.BACK_TO_WORK, Goal.FEWER_FLARE_UPS],
    ),
}


#: When each patient told us, in days ago.
DAYS_AGO = {"maria": 60, "james": 2, "aisha": 38}


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    now = utcnow()
    for key, data in PREFERENCES.items():
        patient = clinic.patients[key]
        saved = preferences.save_preferences_for(session, patient.user, patient, data)
        saved.created_at = now - timedelta(days=DAYS_AGO[key])
    session.flush()
