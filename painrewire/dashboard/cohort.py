"""Cohort outcomes: a clinician's caseload, or the whole clinic for an admin, filtered by treatment start date,
program and discipline, with counts and proportions, their 95% Wilson intervals, and each follow-up time point
(baseline, end of treatment, 3, 6 and 12 months) with how many were due and how many were measured.

Each patient's numbers come from a fixed number of queries over the whole cohort (no query per patient): the
course of treatment (start and end, `painrewire.plans.course.cohort_courses`), the diary and PEG item 1 answers,
the signed plan's modules, the care team's disciplines, practice and questionnaire scores. The outcome rules
are those of `painrewire.diary.outcomes` (IMMPACT responders, Dworkin 2008; pain-free or nearly as in the PRT
trial, Ashar 2022, for trial-comparable patients and, labelled, for everyone), applied per patient in memory.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments.models import QuestionnaireResponse
from painrewire.diary.models import DiaryEntry, PainBaseline
from painrewire.diary.outcomes import (
    CohortSummary,
    PatientOutcome,
    TimePoint,
    TimePointOutcome,
    TimePointSummary,
    TreatmentStart,
    baseline_summary,
    cohort_summary,
    follow_up_outcomes,
    patient_outcome,
    time_point_summary,
)
from painrewire.errors import Forbidden, InvalidInput
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.plans import course as courses
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.practice.models import Module, PracticeLog
from painrewire.validation import check_day


@dataclass(frozen=True)
class CohortFilter:
    """Who is counted: patients whose treatment started between ``started_from`` and ``started_to``
    (inclusive), whose signed plan includes ``program``, whose care team includes a clinician of
    ``discipline``; their outcome is computed on ``as_of``."""

    as_of: date
    started_from: date | None = None
    started_to: date | None = None
    program: Module | None = None
    discipline: Discipline | None = None

    def __post_init__(self) -> None:
        if self.started_from and self.started_to and self.started_to < self.started_from:
            raise InvalidInput("The end of the start-date range is before its beginning.", field="started_to")
        if self.started_from and self.started_from > self.as_of:
            raise InvalidInput("The start-date range begins after the 'as of' day.", field="started_from")


@dataclass(frozen=True)
class Score:
    instrument_id: str
    completed_on: date
    total: float | None
    subscales: dict[str, float] = field(default_factory=dict)


@dataclass
class CohortMember:
    """One patient of the cohort: identifiers stay here, in the service; the research CSV drops them."""

    patient_id: uuid.UUID
    date_of_birth: date | None
    first_day: date | None = None
    start: TreatmentStart | None = None
    end: date | None = None
    end_recorded: bool = False
    pain_duration_weeks: int | None = None
    diary_days: int = 0
    practice_minutes: float = 0.0
    practice_days: int = 0
    modules: tuple[str, ...] = ()
    disciplines: frozenset[Discipline] = frozenset()
    scores: list[Score] = field(default_factory=list)
    outcome: PatientOutcome | None = None
    follow_ups: list[TimePointOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class Cohort:
    scope: str
    filters: CohortFilter
    members: list[CohortMember]
    summary: CohortSummary
    #: Baseline, end of treatment, 3, 6 and 12 months: due so far, measured, and the outcomes of the measured.
    time_points: list[TimePointSummary]


def cohort_ids(actor: User) -> Select[uuid.UUID]:
    """A clinician's caseload, or every patient of the clinic for an admin; nobody else has a cohort."""
    if actor.role == Role.CLINICIAN:
        return access.visible_patient_ids(actor)
    if actor.role == Role.ADMIN:
        everyone: Select[uuid.UUID] = select(Patient.id)
        return everyone
    raise Forbidden("Cohort outcomes are for clinic staff.")


def scope_of(actor: User) -> str:
    return "your caseload" if actor.role == Role.CLINICIAN else "the whole clinic"


def members(session: Session, actor: User, filters: CohortFilter) -> list[CohortMember]:
    """The patients of the actor's cohort that pass the filters, each with their numbers on ``as_of``."""
    ids = cohort_ids(actor)
    as_of = filters.as_of
    rows: dict[uuid.UUID, CohortMember] = {}
    zones: dict[uuid.UUID, str] = {}
    for pid, born, zone in session.execute(
        select(Patient.id, Patient.date_of_birth, Patient.timezone).where(Patient.id.in_(ids))
    ):
        rows[pid] = CohortMember(patient_id=pid, date_of_birth=born)
        zones[pid] = zone
    if not rows:
        return []
    for pid, first in session.execute(
        select(PainBaseline.patient_id, PainBaseline.first_day).where(PainBaseline.patient_id.in_(ids))
    ):
        rows[pid].first_day = first
    for pid, course in courses.cohort_courses(session, ids, zones).items():
        member = rows[pid]
        member.start, member.end, member.end_recorded = course.start, course.end, course.end_recorded
        member.pain_duration_weeks = course.pain_duration_weeks
    for pid, count in session.execute(
        select(DiaryEntry.patient_id, func.count())
        .where(DiaryEntry.patient_id.in_(ids), DiaryEntry.day <= as_of)
        .group_by(DiaryEntry.patient_id)
    ):
        rows[pid].diary_days = int(count)
    for pid, minutes, days in session.execute(
        select(
            PracticeLog.patient_id, func.sum(PracticeLog.minutes), func.count(func.distinct(PracticeLog.day))
        )
        .where(PracticeLog.patient_id.in_(ids), PracticeLog.day <= as_of)
        .group_by(PracticeLog.patient_id)
    ):
        rows[pid].practice_minutes, rows[pid].practice_days = float(minutes or 0), int(days)
    for pid, content in session.execute(
        select(PlanVersion.patient_id, PlanVersion.content).where(
            PlanVersion.patient_id.in_(ids), PlanVersion.status == VersionStatus.SIGNED
        )
    ):
        rows[pid].modules = tuple(str(m.get("id")) for m in (content or {}).get("modules", []))
    disciplines: dict[uuid.UUID, set[Discipline]] = defaultdict(set)
    for pid, discipline in session.execute(
        select(CareTeamMember.patient_id, User.discipline)
        .join(User, User.id == CareTeamMember.clinician_id)
        .where(CareTeamMember.patient_id.in_(ids), User.discipline.is_not(None))
    ):
        if discipline is not None:
            disciplines[pid].add(discipline)
    until = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    for pid, instrument, completed, total, subscales, valid in session.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.instrument_id,
            QuestionnaireResponse.completed_at,
            QuestionnaireResponse.total,
            QuestionnaireResponse.subscales,
            QuestionnaireResponse.valid,
        )
        .where(QuestionnaireResponse.patient_id.in_(ids), QuestionnaireResponse.completed_at < until)
        .order_by(QuestionnaireResponse.completed_at)
    ):
        parts = {str(k): float(v) for k, v in (subscales or {}).items() if v is not None}
        if valid and (total is not None or parts):
            rows[pid].scores.append(
                Score(instrument, completed.date(), float(total) if total is not None else None, parts)
            )
    pain = courses.cohort_pain_data(session, ids, zones)
    chosen = []
    for pid, member in rows.items():
        member.disciplines = frozenset(disciplines.get(pid, set()))
        points, pegs = pain[pid]
        member.outcome = patient_outcome(
            points, pegs, today=as_of, start=member.start, pain_duration_weeks=member.pain_duration_weeks
        )
        started = member.start is not None and member.start.day <= as_of
        if started and member.end is not None:
            member.follow_ups = follow_up_outcomes(
                [p for p in points if p.day <= as_of],
                [p for p in pegs if p.day <= as_of],
                end=member.end,
                baseline=member.outcome.baseline_measure,
                as_of=as_of,
                pain_duration_weeks=member.pain_duration_weeks,
            )
        if _passes(member, filters):
            chosen.append(member)
    return sorted(chosen, key=lambda m: (m.start.day if m.start else date.max, str(m.patient_id)))


def _passes(member: CohortMember, filters: CohortFilter) -> bool:
    if filters.started_from or filters.started_to:
        if member.start is None:
            return False
        if filters.started_from and member.start.day < filters.started_from:
            return False
        if filters.started_to and member.start.day > filters.started_to:
            return False
    if filters.program is not None and filters.program.value not in member.modules:
        return False
    return filters.discipline is None or filters.discipline in member.disciplines


def parse_filter(
    *,
    today: date,
    as_of: str | None = None,
    started_from: str | None = None,
    started_to: str | None = None,
    program: str | None = None,
    discipline: str | None = None,
) -> CohortFilter:
    """Read the filter form's values; a bad value is refused with a message naming its field."""

    def day(value: str | None, name: str) -> date | None:
        if not value:
            return None
        try:
            chosen = date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"{name}: {value!r} is not a date (YYYY-MM-DD).", field=name) from exc
        return check_day(chosen, field=name, latest=today, latest_reason="today")

    try:
        chosen_program = Module(program) if program else None
    except ValueError as exc:
        known = ", ".join(m.value for m in Module)
        raise InvalidInput(f"program: {program!r} is not a program ({known}).", field="program") from exc
    try:
        chosen_discipline = Discipline(discipline) if discipline else None
    except ValueError as exc:
        known = ", ".join(d.value for d in Discipline)
        raise InvalidInput(
            f"discipline: {discipline!r} is not a discipline ({known}).", field="discipline"
        ) from exc
    when = day(as_of, "as_of") or today
    if when > today:
        raise InvalidInput("as_of: outcomes can be computed up to today.", field="as_of")
    return CohortFilter(
        as_of=when,
        started_from=day(started_from, "started_from"),
        started_to=day(started_to, "started_to"),
        program=chosen_program,
        discipline=chosen_discipline,
    )


def cohort(session: Session, actor: User, filters: CohortFilter) -> Cohort:
    """The cohort and its summary: counts and proportions with 95% Wilson intervals, and each time point."""
    found = members(session, actor, filters)
    outcomes = [m.outcome for m in found if m.outcome is not None]
    follow_ups = [f for m in found for f in m.follow_ups]
    return Cohort(
        scope=scope_of(actor),
        filters=filters,
        members=found,
        summary=cohort_summary(outcomes),
        time_points=[baseline_summary(outcomes)] + [time_point_summary(t, follow_ups) for t in TimePoint],
    )
