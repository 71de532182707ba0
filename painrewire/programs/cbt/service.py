"""CBT for pain: thought records and their thinking-trap trends, activity pacing, and graded exposure.

Every function that takes an ``actor`` checks access (and audits it) through `painrewire.patients.access`;
the ``*_for`` functions are for a patient whose access the caller has already checked. Practice (a thought
record written, an exposure done) is logged through `painrewire.practice.service.log_practice`, so the diary,
plan tasks and the clinician's dashboard see it. Thought records, exposure tries and pacing are practice:
`painrewire.clearance.gate` decides whether the patient may do them now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.clearance import gate
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.cbt import pacing, trends
from painrewire.programs.cbt.models import (
    ExposureAttempt,
    ExposureItem,
    PacingActivity,
    PacingLog,
    ThoughtRecord,
)
from painrewire.programs.cbt.schemas import (
    ExposureAttemptCreate,
    ExposureItemCreate,
    PacingActivityCreate,
    ThoughtRecordCreate,
)

#: How far back a thought record may be dated: a situation from last week is fine, one from years ago is a typo.
MAX_DAYS_BACK = 366


# --- Thought records -------------------------------------------------------------------------------------------


def create_thought_record(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: ThoughtRecordCreate,
    *,
    now: datetime | None = None,
) -> ThoughtRecord:
    """Save a thought record and log it as practice (``thought_record``) on the patient's day."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="thought_record"
    )
    gate.ensure_practice_open(session, actor, patient, Module.CBT)
    when = now or utcnow()
    today = patient.local_today(when)
    day = data.day or today
    if day > today:
        raise InvalidInput(
            f"Day: {day.isoformat()} is in the future; choose today or an earlier day.", field="day"
        )
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise InvalidInput(f"Day: choose a day within the last {MAX_DAYS_BACK} days.", field="day")
    record = ThoughtRecord(
        patient_id=patient.id,
        day=day,
        situation=data.situation,
        automatic_thought=data.automatic_thought,
        feelings=[f.model_dump() for f in data.feelings],
        distortions=list(data.distortions),
        evidence_for=data.evidence_for,
        evidence_against=data.evidence_against,
        balanced_thought=data.balanced_thought,
        rerated_feelings=[f.model_dump() for f in data.rerated_feelings],
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
        minutes=data.minutes or 0,
        source_id=record.id,
        now=when,
    )
    return record


def thought_records_for(
    session: Session, patient: Patient, *, limit: int | None = None
) -> list[ThoughtRecord]:
    """A patient's thought records, newest first."""
    stmt = (
        select(ThoughtRecord)
        .where(ThoughtRecord.patient_id == patient.id)
        .order_by(ThoughtRecord.day.desc(), ThoughtRecord.created_at.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def thought_record_count(session: Session, patient: Patient) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(ThoughtRecord).where(ThoughtRecord.patient_id == patient.id)
        )
        or 0
    )


def thought_records(
    session: Session, actor: User, patient_id: uuid.UUID, *, limit: int | None = None
) -> list[ThoughtRecord]:
    patient = access.patient_for(session, actor, patient_id, resource_type="thought_record")
    return thought_records_for(session, patient, limit=limit)


def thought_record(
    session: Session, actor: User, patient_id: uuid.UUID, record_id: uuid.UUID
) -> ThoughtRecord:
    patient = access.patient_for(
        session, actor, patient_id, resource_type="thought_record", resource_id=record_id
    )
    record = session.scalar(
        select(ThoughtRecord).where(ThoughtRecord.id == record_id, ThoughtRecord.patient_id == patient.id)
    )
    if record is None:
        raise NotFound("No such thought record.")
    return record


def distortion_trend_for(
    session: Session, patient: Patient, *, today: date | None = None
) -> list[trends.WeekCounts]:
    """Thinking traps tagged per week, from the first week with a record to this week."""
    rows = session.execute(
        select(ThoughtRecord.day, ThoughtRecord.distortions).where(ThoughtRecord.patient_id == patient.id)
    ).all()
    return trends.distortions_by_week(
        [(day, list(tags or [])) for day, tags in rows], until=today or patient.local_today()
    )


def distortion_trend(session: Session, actor: User, patient_id: uuid.UUID) -> list[trends.WeekCounts]:
    patient = access.patient_for(session, actor, patient_id, resource_type="thought_record")
    return distortion_trend_for(session, patient)


# --- Activity pacing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacingPlan:
    """A paced activity with its weekly targets, what was logged, and where the patient is now."""

    activity: PacingActivity
    weeks: list[pacing.WeekProgress]
    current_week: int
    goal_week: int | None

    @property
    def this_week(self) -> pacing.WeekProgress | None:
        if 1 <= self.current_week <= len(self.weeks):
            return self.weeks[self.current_week - 1]
        return None


def create_pacing_activity(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: PacingActivityCreate,
    *,
    now: datetime | None = None,
) -> PacingActivity:
    """Start pacing an activity: the baseline is the mean of the measured days."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="pacing_activity"
    )
    gate.ensure_practice_open(session, actor, patient, Module.CBT)
    today = patient.local_today(now)
    starts_on = data.starts_on or today
    if abs((starts_on - today).days) > 366:
        raise InvalidInput("Start: choose a start within a year of today.", field="starts_on")
    try:
        base = pacing.baseline(data.measurements)
    except ValueError as exc:
        raise InvalidInput(f"Measured days: {exc}.", field="measurements") from exc
    activity = PacingActivity(
        patient_id=patient.id,
        name=data.name,
        unit=data.unit,
        measurements=list(data.measurements),
        baseline=base,
        start_percent=data.start_percent,
        increment_percent=data.increment_percent,
        weeks=data.weeks,
        starts_on=starts_on,
        goal=data.goal,
    )
    session.add(activity)
    session.flush()
    return activity


def _activity(session: Session, patient: Patient, activity_id: uuid.UUID) -> PacingActivity:
    activity = session.scalar(
        select(PacingActivity).where(
            PacingActivity.id == activity_id, PacingActivity.patient_id == patient.id
        )
    )
    if activity is None:
        raise NotFound("No such paced activity.")
    return activity


def log_pacing_week(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    week: int,
    actual: float,
    *,
    now: datetime | None = None,
) -> PacingLog:
    """Record (or correct) what was done of a paced activity in one plan week, up to the current week."""
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="pacing_activity",
        resource_id=activity_id,
    )
    activity = _activity(session, patient, activity_id)
    gate.ensure_practice_open(session, actor, patient, Module.CBT)
    current = pacing.plan_week(activity.starts_on, patient.local_today(now))
    if not 1 <= week <= activity.weeks:
        raise InvalidInput(
            f"Week: the plan runs from week 1 to week {activity.weeks}; got {week}.", field="week"
        )
    if week > current:
        raise InvalidInput(
            f"Week: week {week} has not started yet; you can log up to week {max(current, 0)}.", field="week"
        )
    if not 0 <= actual <= 100_000:
        raise InvalidInput(f"Done: must be 0 or more; got {actual:g}.", field="actual")
    existing = session.scalar(
        select(PacingLog).where(PacingLog.activity_id == activity.id, PacingLog.week == week)
    )
    if existing is not None:
        existing.actual, existing.logged_at = actual, now or utcnow()
        session.flush()
        return existing
    log = PacingLog(activity_id=activity.id, week=week, actual=actual, logged_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(log)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("This week was logged at the same moment elsewhere; reload and try again.") from exc
    return log


def pacing_plans_for(session: Session, patient: Patient, *, today: date | None = None) -> list[PacingPlan]:
    """Every paced activity of a patient, oldest first, with its plan against what was logged."""
    today = today or patient.local_today()
    activities = list(
        session.scalars(
            select(PacingActivity)
            .where(PacingActivity.patient_id == patient.id)
            .order_by(PacingActivity.created_at, PacingActivity.name)
        )
    )
    logs: dict[uuid.UUID, dict[int, float]] = {a.id: {} for a in activities}
    if activities:
        for log in session.scalars(select(PacingLog).where(PacingLog.activity_id.in_(list(logs)))):
            logs[log.activity_id][log.week] = log.actual
    plans = []
    for activity in activities:
        targets = pacing.weekly_targets(
            activity.baseline,
            weeks=activity.weeks,
            start_percent=activity.start_percent,
            increment_percent=activity.increment_percent,
        )
        goal_week = (
            pacing.weeks_to_goal(
                activity.baseline,
                activity.goal,
                start_percent=activity.start_percent,
                increment_percent=activity.increment_percent,
            )
            if activity.goal
            else None
        )
        plans.append(
            PacingPlan(
                activity=activity,
                weeks=pacing.progress(targets, logs[activity.id], starts_on=activity.starts_on),
                current_week=pacing.plan_week(activity.starts_on, today),
                goal_week=goal_week,
            )
        )
    return plans


def pacing_plans(session: Session, actor: User, patient_id: uuid.UUID) -> list[PacingPlan]:
    patient = access.patient_for(session, actor, patient_id, resource_type="pacing_activity")
    return pacing_plans_for(session, patient)


def pacing_plan(session: Session, actor: User, patient_id: uuid.UUID, activity_id: uuid.UUID) -> PacingPlan:
    patient = access.patient_for(
        session, actor, patient_id, resource_type="pacing_activity", resource_id=activity_id
    )
    _activity(session, patient, activity_id)
    return next(p for p in pacing_plans_for(session, patient) if p.activity.id == activity_id)


# --- Graded exposure -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HierarchyStep:
    item: ExposureItem
    attempts: list[ExposureAttempt]

    @property
    def mean_gap(self) -> float | None:
        return sum(a.gap for a in self.attempts) / len(self.attempts) if self.attempts else None


@dataclass(frozen=True)
class Hierarchy:
    """The feared movements, least feared first, each with its exposures (oldest first)."""

    steps: list[HierarchyStep]

    @property
    def gaps(self) -> list[trends.ExposureGap]:
        return sorted(
            (
                trends.ExposureGap(a.done_at, s.item.movement, a.predicted_fear, a.actual_fear)
                for s in self.steps
                for a in s.attempts
            ),
            key=lambda g: g.done_at,
        )

    @property
    def mean_gap(self) -> float | None:
        return trends.mean_gap(self.gaps)

    @property
    def gap_trend(self) -> tuple[float | None, float | None]:
        return trends.gap_trend(self.gaps)


def add_exposure_item(
    session: Session, actor: User, patient_id: uuid.UUID, data: ExposureItemCreate
) -> ExposureItem:
    """Add a feared movement to the patient's hierarchy with how frightening it feels now (0-100)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="exposure_item"
    )
    item = ExposureItem(
        patient_id=patient.id, movement=data.movement, fear_rating=data.fear_rating, notes=data.notes
    )
    session.add(item)
    session.flush()
    return item


def _item(session: Session, patient: Patient, item_id: uuid.UUID) -> ExposureItem:
    item = session.scalar(
        select(ExposureItem).where(ExposureItem.id == item_id, ExposureItem.patient_id == patient.id)
    )
    if item is None:
        raise NotFound("No such movement on this hierarchy.")
    return item


def rerate_exposure_item(
    session: Session, actor: User, patient_id: uuid.UUID, item_id: uuid.UUID, fear_rating: int
) -> ExposureItem:
    """Give a movement a new fear rating (it usually falls with practice), which may move it on the ladder."""
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="exposure_item",
        resource_id=item_id,
    )
    item = _item(session, patient, item_id)
    if not 0 <= fear_rating <= 100:
        raise InvalidInput(f"Fear rating: must be from 0 to 100; got {fear_rating}.", field="fear_rating")
    item.fear_rating = fear_rating
    session.flush()
    return item


def log_exposure_attempt(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    item_id: uuid.UUID,
    data: ExposureAttemptCreate,
    *,
    now: datetime | None = None,
) -> ExposureAttempt:
    """Record one exposure (fear predicted before, felt after) and log it as practice (``exposure``)."""
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.CREATE,
        resource_type="exposure_attempt",
        resource_id=item_id,
    )
    item = _item(session, patient, item_id)
    gate.ensure_practice_open(session, actor, patient, Module.CBT)
    when = now or utcnow()
    attempt = ExposureAttempt(
        item_id=item.id,
        done_at=when,
        predicted_fear=data.predicted_fear,
        actual_fear=data.actual_fear,
        note=data.note,
    )
    session.add(attempt)
    session.flush()
    practice_log.log_practice(
        session,
        patient,
        module=Module.CBT,
        activity="exposure",
        title=f"Graded exposure: {item.movement}",
        minutes=data.minutes,
        source_id=attempt.id,
        now=when,
    )
    return attempt


def hierarchy_for(session: Session, patient: Patient) -> Hierarchy:
    """The patient's exposure hierarchy, least feared first (ties: the one added first)."""
    items = list(
        session.scalars(
            select(ExposureItem)
            .where(ExposureItem.patient_id == patient.id)
            .order_by(ExposureItem.fear_rating, ExposureItem.created_at, ExposureItem.movement)
        )
    )
    attempts: dict[uuid.UUID, list[ExposureAttempt]] = {i.id: [] for i in items}
    if items:
        for attempt in session.scalars(
            select(ExposureAttempt)
            .where(ExposureAttempt.item_id.in_(list(attempts)))
            .order_by(ExposureAttempt.done_at)
        ):
            attempts[attempt.item_id].append(attempt)
    return Hierarchy([HierarchyStep(i, attempts[i.id]) for i in items])


def hierarchy(session: Session, actor: User, patient_id: uuid.UUID) -> Hierarchy:
    patient = access.patient_for(session, actor, patient_id, resource_type="exposure_item")
    return hierarchy_for(session, patient)
