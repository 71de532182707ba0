"""Demo history for mindfulness: Maria practising more over eight weeks (guided practices, the breathing
pacer and the timer); Aisha a few breath-focus sessions before her flare."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.mindfulness.content import BREATHING_PACER, MEDITATION_TIMER, practices


def _sessions(session: Session, patient: Patient, days: list[int], rng: random.Random) -> None:
    scripts = practices()
    today = patient.local_today()
    for ago in days:
        choice = rng.choice([*scripts, BREATHING_PACER, MEDITATION_TIMER])
        if choice == BREATHING_PACER:
            title, minutes = "Breathing pacer · 6 breaths/min, in:out 1:1.5", float(rng.choice([3, 5, 5, 10]))
        elif choice == MEDITATION_TIMER:
            title, minutes = "Meditation timer", float(rng.choice([10, 10, 15, 20]))
        else:
            title, minutes = scripts[choice].title, round(scripts[choice].minutes, 2)
        day = today - timedelta(days=ago)
        when = datetime.combine(day, time(7, 30), tzinfo=ZoneInfo(patient.timezone))
        practice_log.log_practice(
            session,
            patient,
            module=Module.MINDFULNESS,
            activity=choice,
            title=title,
            minutes=minutes,
            now=when,
        )


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    rng = random.Random(60)
    # Maria: twice a week at first, most days by the last weeks (not yet today)
    maria_days = [ago for ago in range(1, 56) if rng.random() < (0.25 + 0.6 * (56 - ago) / 56)]
    _sessions(session, clinic.patients["maria"], maria_days, rng)
    _sessions(session, clinic.patients["aisha"], [30, 27, 23, 20, 16], rng)
    session.flush()
