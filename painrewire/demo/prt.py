"""Demo history for PRT: Maria in week 3 of the course with five lessons done, the checklist, somatic
tracking whose ratings ease and a journal; James has filled in the checklist and opened the first lesson;
Aisha practised in her first weeks, before the flare and the alert that now pause her program.

Maria's practice goes through the same service a patient uses, dated in the past. Aisha's alert is already
open when this runs (the assessments demo raises it), and the service rightly refuses practice while it is,
so her earlier practice is written as it was logged then.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from painrewire.programs.prt.models import LessonProgress, ReappraisalEntry
from painrewire.programs.prt.schemas import JournalEntryWrite, SomaticTrackingWrite

# (days ago, pain before, fear before, pain after, fear after, seconds)
MARIA_TRACKING = [
    (15, 7, 8, 6, 6, 290),
    (13, 6, 7, 5, 5, 300),
    (12, 7, 7, 5, 4, 275),
    (10, 6, 6, 4, 4, 310),
    (8, 6, 6, 4, 3, 285),
    (7, 5, 5, 4, 3, 300),
    (5, 5, 5, 3, 2, 295),
    (4, 5, 4, 3, 2, 320),
    (2, 4, 4, 2, 2, 300),
    (1, 4, 3, 2, 1, 290),
]
MARIA_JOURNAL = [
    (
        14,
        "Sitting through a long meeting; my lower back started burning after an hour.",
        "I've been sitting too long and damaged something again.",
        "My back is strong. Meetings are stressful for me, and stress turns my alarm up. I can stand and stretch.",
        7,
        5,
    ),
    (
        9,
        "Bending to pick up my grandson's toys.",
        "Bending is dangerous; I'll be stuck for days.",
        "Bending is a normal movement and my scans were age-normal. The twinge is my brain being careful.",
        6,
        3,
    ),
    (
        5,
        "Woke at 3am with an ache after a worrying phone call from my sister.",
        "It's getting worse; the program isn't working.",
        "Pain after worry is evidence for neuroplastic pain. Setbacks are part of recovery.",
        6,
        4,
    ),
    (
        1,
        "Gardening for twenty minutes, then a dull ache in the evening.",
        "I overdid it.",
        "Delayed pain is my alarm's prediction, not damage. I enjoyed the garden and my body is fine.",
        4,
        2,
    ),
]
# Lessons Maria passed, and on which day (two a week, as the plan asks).
MARIA_LESSONS = [(15, 0), (13, 1), (9, 2), (7, 3), (2, 4)]


def _at(patient: Patient, days_ago: int, hour: int) -> datetime:
    """A moment on the patient's own calendar, ``days_ago`` days back."""
    day = patient.local_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 15), tzinfo=ZoneInfo(patient.timezone))


def _answers(lesson: content.Lesson, wrong: int = 0) -> dict[str, int]:
    answers = {q.id: q.correct_index for q in lesson.quiz}
    for q in lesson.quiz[:wrong]:
        answers[q.id] = (q.correct_index + 1) % len(q.options)
    return answers


def _maria(session: Session, maria: Patient) -> None:
    items = content.checklist().items
    yes = {
        "onset_during_stress",
        "outlasted_healing",
        "moves_or_spreads",
        "inconsistent_triggers",
        "delayed_pain",
        "worse_with_stress",
        "better_when_absorbed",
        "no_structural_cause",
        "self_critical",
    }
    prt.save_checklist(
        session, maria.user, maria.id, {i.id: i.id in yes for i in items}, now=_at(maria, 15, 18)
    )
    lessons = content.lessons()
    for days_ago, index in MARIA_LESSONS:
        lesson = lessons[index]
        when = _at(maria, days_ago, 20)
        if index == 2:  # one quiz needed a second try
            prt.submit_quiz(session, maria.user, maria.id, lesson.id, _answers(lesson, wrong=2), now=when)
        outcome = prt.submit_quiz(session, maria.user, maria.id, lesson.id, _answers(lesson), now=when)
        outcome.progress.opened_at = when - timedelta(minutes=8)
    opened = prt.lesson_progress_row(session, maria, lessons[5].id)
    opened.opened_at = _at(maria, 0, 8)
    for days_ago, pain_b, fear_b, pain_a, fear_a, seconds in MARIA_TRACKING:
        data = SomaticTrackingWrite(
            pain_before=pain_b, fear_before=fear_b, pain_after=pain_a, fear_after=fear_a, seconds=seconds
        )
        prt.log_somatic_tracking(session, maria.user, maria.id, data, now=_at(maria, days_ago, 7))
    for days_ago, moment, danger, safety, before, after in MARIA_JOURNAL:
        entry = JournalEntryWrite(
            pain_moment=moment,
            danger_message=danger,
            safety_message=safety,
            pain_before=before,
            pain_after=after,
        )
        prt.add_journal_entry(session, maria.user, maria.id, entry, now=_at(maria, days_ago, 21))


def _james(session: Session, james: Patient) -> None:
    items = content.checklist().items
    yes = {"outlasted_healing", "inconsistent_triggers", "worse_with_stress", "better_when_absorbed"}
    prt.save_checklist(
        session, james.user, james.id, {i.id: i.id in yes for i in items}, now=_at(james, 3, 19)
    )
    first = prt.lesson_progress_row(session, james, content.lessons()[0].id)
    first.opened_at = _at(james, 1, 20)


def _aisha(session: Session, aisha: Patient) -> None:
    lessons = content.lessons()
    for days_ago, index in ((32, 0), (29, 1), (25, 2)):
        when = _at(aisha, days_ago, 21)
        session.add(
            LessonProgress(
                patient_id=aisha.id,
                lesson_id=lessons[index].id,
                opened_at=when - timedelta(minutes=10),
                quiz_attempts=1,
                best_score=3,
                quiz_total=3,
                passed_at=when,
            )
        )
        practice_log.log_practice(
            session,
            aisha,
            module=Module.PRT,
            activity=prt.LESSON_ACTIVITY,
            title=f"Lesson: {lessons[index].title}",
            minutes=lessons[index].minutes,
            now=when,
        )
    for days_ago, pain_b, fear_b, pain_a, fear_a in (
        (31, 6, 6, 5, 4),
        (27, 5, 6, 4, 4),
        (22, 6, 5, 5, 4),
        (12, 8, 8, 7, 7),
    ):
        practice_log.log_practice(
            session,
            aisha,
            module=Module.PRT,
            activity=prt.SOMATIC_ACTIVITY,
            title="Somatic tracking",
            minutes=5,
            pain_before=pain_b,
            pain_after=pain_a,
            fear_before=fear_b,
            fear_after=fear_a,
            now=_at(aisha, days_ago, 22),
        )
    session.add(
        ReappraisalEntry(
            patient_id=aisha.id,
            created_at=_at(aisha, 24, 22),
            pain_moment="End of a ten-hour day at the desk, with the children still to put to bed.",
            danger_message="My spine can't take this any more.",
            safety_message="I'm exhausted and stressed, and that turns the alarm up. My back is not breaking.",
            pain_before=7,
            pain_after=6,
        )
    )
    session.flush()


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    _maria(session, clinic.patients["maria"])
    _james(session, clinic.patients["james"])
    _aisha(session, clinic.patients["aisha"])
