"""Demo history for CBT: Maria's eight weeks of thought records (catastrophising fading), a walking pacing plan
and an exposure ladder with tries; Aisha's first two thought records during her flare."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.cbt import pacing
from painrewire.programs.cbt.models import (
    ExposureAttempt,
    ExposureItem,
    PacingActivity,
    PacingLog,
    ThoughtRecord,
)

Record = tuple[int, str, str, list[tuple[str, int]], list[str], str, str, str, list[tuple[str, int]]]

# (days ago, situation, thought, feelings before, traps, for, against, balanced, feelings after)
MARIA_RECORDS: list[Record] = [
    (
        54,
        "Woke up stiff and sore after a bad night's sleep.",
        "This is never going to get better. I'll be like this for the rest of my life.",
        [("hopeless", 85), ("scared", 70)],
        ["catastrophising", "overgeneralising", "fortune_telling"],
        "I've had back pain for six years.",
        "I have had easier weeks this year; my physio says my back is strong.",
        "Mornings are hard right now, but the pain has changed before and can change again.",
        [("hopeless", 60), ("scared", 55)],
    ),
    (
        51,
        "Felt a sharp twinge bending to load the dishwasher.",
        "Something has slipped. I've damaged my spine.",
        [("panic", 90)],
        ["catastrophising", "emotional_reasoning"],
        "It was sudden and sharp.",
        "The scan showed nothing serious; twinges have come and gone before without harm.",
        "A sharp twinge is an alarm, not proof of damage. My back is sensitive, not broken.",
        [("panic", 55)],
    ),
    (
        47,
        "Had to cancel lunch with my sister because of pain.",
        "She must think I'm making excuses. I'm letting everyone down.",
        [("guilty", 75), ("sad", 65)],
        ["mind_reading", "labelling", "catastrophising"],
        "I've cancelled twice this month.",
        "She texted that she hopes I feel better and suggested next week.",
        "My sister cares about me. Cancelling once doesn't make me a bad sister.",
        [("guilty", 40), ("sad", 45)],
    ),
    (
        43,
        "Pain went up after sitting through a long meeting at work.",
        "If sitting does this, I'll lose my job.",
        [("anxious", 80)],
        ["catastrophising", "fortune_telling"],
        "My pain was 7 by the end of the meeting.",
        "It came down to 4 after a walk; my manager has offered a standing desk.",
        "Long sitting winds my pain up, and I have ways to wind it down. I can ask for breaks.",
        [("anxious", 50)],
    ),
    (
        38,
        "Couldn't finish the whole walk round the park.",
        "If I can't do the full loop there's no point going at all.",
        [("frustrated", 70)],
        ["all_or_nothing", "should_statements"],
        "I stopped halfway.",
        "Halfway is further than I walked last month; pacing says to stop before a flare.",
        "Half the loop, done steadily, is progress, not failure.",
        [("frustrated", 35)],
    ),
    (
        33,
        "Back ached after gardening for an hour.",
        "I've ruined the whole week now.",
        [("annoyed", 60), ("worried", 55)],
        ["catastrophising", "overgeneralising"],
        "The ache is there this evening.",
        "Last time it settled by the next afternoon.",
        "I overdid it a bit. Next time I'll garden in 20-minute blocks. The ache will settle.",
        [("annoyed", 30), ("worried", 25)],
    ),
    (
        28,
        "My daughter asked me to carry her bag upstairs.",
        "I shouldn't need help. I'm useless.",
        [("ashamed", 65)],
        ["should_statements", "labelling"],
        "I asked her to carry it herself.",
        "I cooked dinner for four and walked to the shops this week.",
        "Choosing what to carry is pacing, not weakness.",
        [("ashamed", 30)],
    ),
    (
        24,
        "Pain flared on the drive to my appointment.",
        "Here we go again, it's getting worse.",
        [("anxious", 60)],
        ["catastrophising"],
        "It was a 6 in the car.",
        "My diary shows my average pain is down from 6 to 4 since I started.",
        "Flares still happen, but the overall trend is better. This will pass.",
        [("anxious", 30)],
    ),
    (
        19,
        "Friend asked me to join a yoga class.",
        "Everyone will see how stiff I am.",
        [("embarrassed", 55)],
        ["mind_reading"],
        "I can't touch my toes.",
        "Beginners' classes are full of stiff people; my friend would not invite me to judge me.",
        "I can go at my own pace. Others are focused on themselves.",
        [("embarrassed", 25)],
    ),
    (
        13,
        "Slept badly and woke sore.",
        "Today will be a bad day.",
        [("low", 50)],
        ["fortune_telling"],
        "I'm tired and my back aches.",
        "Last week after a bad night I still had a good afternoon.",
        "I don't know yet how today will go. I'll start gently and see.",
        [("low", 25)],
    ),
    (
        8,
        "Did the longer walk and felt some soreness after.",
        "I've pushed too far, I'll pay for this.",
        [("worried", 40)],
        ["catastrophising"],
        "My legs and back feel tired.",
        "It's the same soreness anyone gets after more exercise, and it faded by bedtime.",
        "Soreness after doing more is normal and safe. My body is getting stronger.",
        [("worried", 15)],
    ),
    (
        3,
        "Lifted the laundry basket without thinking.",
        "Oh no, I wasn't careful.",
        [("startled", 35)],
        ["emotional_reasoning"],
        "I felt a tug.",
        "Nothing happened afterwards; I carried on with my day.",
        "My back can lift a laundry basket. The tug was my alarm system, and it quietened down.",
        [("startled", 10)],
    ),
]

AISHA_RECORDS: list[Record] = [
    (
        5,
        "Pain shot up when I stood from my desk.",
        "This flare is going to last for months, like last time.",
        [("scared", 85), ("hopeless", 70)],
        ["catastrophising", "fortune_telling"],
        "Last year's flare lasted six weeks.",
        "This time I have a plan and a care team; the pain eased when I walked around.",
        "Flares feel endless, but they end. I'm doing things that help.",
        [("scared", 65), ("hopeless", 50)],
    ),
    (
        2,
        "Couldn't go to my friend's birthday dinner.",
        "I'm missing out on everything. My life is shrinking.",
        [("sad", 80)],
        ["overgeneralising", "all_or_nothing"],
        "I missed the dinner and last week's film night.",
        "I saw two friends for coffee on Sunday.",
        "I'm missing some things during this flare, not everything.",
        [("sad", 60)],
    ),
]

# (movement, fear now, notes, [(days ago, predicted, felt)])
MARIA_LADDER = [
    ("Sitting through a whole film without getting up", 30, "", [(45, 55, 30), (38, 45, 25), (30, 35, 20)]),
    ("Vacuuming the living room", 40, "", [(40, 70, 40), (31, 60, 40), (22, 50, 35), (15, 45, 35)]),
    (
        "Bending to pick up laundry from the floor",
        50,
        "started at 70",
        [(26, 75, 45), (17, 60, 40), (9, 50, 40)],
    ),
    ("Twisting to reach the back seat of the car", 60, "", [(6, 65, 50)]),
    ("Lifting a full shopping bag from the car boot", 85, "", []),
]


def _evening(patient: Patient, day: date) -> datetime:
    return datetime.combine(day, time(20, 0), tzinfo=ZoneInfo(patient.timezone))


def _thought_records(session: Session, patient: Patient, records: list[Record], today: date) -> None:
    for ago, situation, thought, before, traps, ev_for, ev_against, balanced, after in records:
        day = today - timedelta(days=ago)
        when = _evening(patient, day)
        record = ThoughtRecord(
            patient_id=patient.id,
            day=day,
            situation=situation,
            automatic_thought=thought,
            feelings=[{"feeling": f, "intensity": i} for f, i in before],
            distortions=traps,
            evidence_for=ev_for,
            evidence_against=ev_against,
            balanced_thought=balanced,
            rerated_feelings=[{"feeling": f, "intensity": i} for f, i in after],
            created_at=when,
        )
        session.add(record)
        session.flush()
        practice_log.log_practice(
            session,
            patient,
            module=Module.CBT,
            activity="thought_record",
            title="Thought record",
            minutes=7 + ago % 5,
            source_id=record.id,
            now=when,
        )


def _walking_plan(session: Session, patient: Patient, today: date) -> None:
    measured = [12.0, 15.0, 10.0]
    activity = PacingActivity(
        patient_id=patient.id,
        name="Walking",
        unit="minutes",
        measurements=measured,
        baseline=pacing.baseline(measured),
        start_percent=80.0,
        increment_percent=10.0,
        weeks=8,
        starts_on=today - timedelta(days=5 * 7 + 3),
        goal=18.0,
        created_at=_evening(patient, today - timedelta(days=5 * 7 + 4)),
    )
    session.add(activity)
    session.flush()
    # a good-day "boom" in week 2, the "bust" after it in week 3, then steady
    for week, actual in [(1, 10.0), (2, 14.0), (3, 9.5), (4, 13.5), (5, 15.0)]:
        logged = _evening(patient, activity.starts_on + timedelta(days=7 * week - 1))
        session.add(PacingLog(activity_id=activity.id, week=week, actual=actual, logged_at=logged))


def _ladder(session: Session, patient: Patient, today: date) -> None:
    for k, (movement, fear, notes, tries) in enumerate(MARIA_LADDER):
        item = ExposureItem(
            patient_id=patient.id,
            movement=movement,
            fear_rating=fear,
            notes=notes,
            created_at=_evening(patient, today - timedelta(days=48 - k)),
        )
        session.add(item)
        session.flush()
        for ago, predicted, felt in tries:
            when = _evening(patient, today - timedelta(days=ago)) - timedelta(hours=3)
            attempt = ExposureAttempt(
                item_id=item.id, done_at=when, predicted_fear=predicted, actual_fear=felt
            )
            session.add(attempt)
            session.flush()
            practice_log.log_practice(
                session,
                patient,
                module=Module.CBT,
                activity="exposure",
                title=f"Graded exposure: {movement}",
                minutes=10,
                source_id=attempt.id,
                now=when,
            )


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    maria, aisha = clinic.patients["maria"], clinic.patients["aisha"]
    today = maria.local_today()
    _thought_records(session, maria, MARIA_RECORDS, today)
    _walking_plan(session, maria, today)
    _ladder(session, maria, today)
    _thought_records(session, aisha, AISHA_RECORDS, aisha.local_today())
    session.flush()
