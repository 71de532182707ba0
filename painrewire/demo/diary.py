"""Demo history for the diary: Maria improving over eight weeks, Aisha in a flare, James just starting."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from painrewire.demo.clinic import DemoClinic
from painrewire.diary.models import DiaryEntry
from painrewire.diary.service import refresh_trends
from painrewire.practice.models import Module, PracticeLog

PRACTICE = [
    (Module.PRT, "somatic_tracking", "Somatic tracking", 8.0),
    (Module.MINDFULNESS, "breath_focus", "Breath focus", 10.0),
    (Module.CBT, "thought_record", "Thought record", 6.0),
    (Module.GMI, "laterality", "Left/right judgement", 5.0),
]


def _pain_course(key: str, days: int, rng: random.Random) -> list[float]:
    """Average pain per day from the oldest day to today, shaped like each demo patient's story."""
    if key == "maria":  # 6.5 at the start, down to about 2 after eight weeks
        return [6.5 - 4.5 * (i / (days - 1)) + rng.uniform(-0.8, 0.8) for i in range(days)]
    if key == "aisha":  # steady near 5, then a flare to about 8 in the last week
        return [
            5 + rng.uniform(-0.7, 0.7) if i < days - 7 else 7.8 + rng.uniform(-0.5, 0.5) for i in range(days)
        ]
    return [6 + rng.uniform(-0.6, 0.6) for _ in range(days)]


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    rng = random.Random(20261125)
    spans = {"maria": 56, "aisha": 35, "james": 5}
    for key, days in spans.items():
        patient = clinic.patients[key]
        today = patient.local_today()
        for i, value in enumerate(_pain_course(key, days, rng)):
            day = today - timedelta(days=days - 1 - i)
            if key == "maria" and i == days - 1:
                continue  # Maria has not filled in today yet: her home page shows the reminder
            average = max(0, min(10, round(value)))
            session.add(
                DiaryEntry(
                    patient_id=patient.id,
                    day=day,
                    pain_now=max(0, min(10, average + rng.choice([-1, 0, 0, 1]))),
                    average_pain=average,
                    interference=max(0, min(10, average - 1 + rng.choice([0, 1]))),
                    mood=max(0, min(10, 9 - average + rng.choice([-1, 0, 1]))),
                    sleep_quality=max(0, min(10, 8 - average // 2 + rng.choice([-1, 0, 1]))),
                    activity_minutes=rng.choice([10, 20, 30, 45, 60]),
                    triggers=rng.sample(
                        ["stress", "long_sitting", "poor_sleep", "lifting"], k=rng.choice([0, 1, 2])
                    ),
                    note="",
                )
            )
            practising = key == "maria" or (key == "aisha" and i < days - 8)
            if practising and rng.random() < 0.8:
                module, activity, title, minutes = rng.choice(PRACTICE)
                session.add(
                    PracticeLog(
                        patient_id=patient.id,
                        day=day,
                        completed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC)
                        + timedelta(hours=19),
                        module=module,
                        activity=activity,
                        title=title,
                        minutes=minutes,
                    )
                )
        session.flush()
        refresh_trends(session, patient.id)
