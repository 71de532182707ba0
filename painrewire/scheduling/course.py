"""The PRT course in one step: the whole course proposed (same clinician, a fixed number of sessions a week),
then booked all together or not at all."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import InvalidInput
from painrewire.scheduling.booking import Booking, book, patient_for_booking
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import SlotTaken
from painrewire.scheduling.search import (
    BookableClinician,
    appointment_type,
    care_team_ids,
    find_slots,
)
from painrewire.scheduling.times import (
    aware,
    local_days,
    local_label,
)


@dataclass
class CourseProposal:
    kind: AppointmentType
    clinician: BookableClinician
    first_day: date
    mode: str | None
    starts: list[datetime]

    @property
    def sessions(self) -> list[tuple[int, datetime, datetime]]:
        return [(i + 1, s, s + self.kind.duration) for i, s in enumerate(self.starts)]


@dataclass(frozen=True)
class NoCourse:
    """Why no course fits (the page says so beside the form; the API answers 409)."""

    message: str


def propose_course(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    first_day: date,
    patient_id: uuid.UUID | None = None,
    clinician_id: uuid.UUID | None = None,
    mode: str | None = None,
    preferred: time | None = None,
    now: datetime | None = None,
) -> CourseProposal:
    """The whole course found automatically, or :class:`SlotTaken` saying why none fits (see ``find_course``)."""
    found = find_course(
        session,
        actor,
        settings,
        first_day=first_day,
        patient_id=patient_id,
        clinician_id=clinician_id,
        mode=mode,
        preferred=preferred,
        now=now,
    )
    if isinstance(found, NoCourse):
        raise SlotTaken(found.message)
    return found


def find_course(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    first_day: date,
    patient_id: uuid.UUID | None = None,
    clinician_id: uuid.UUID | None = None,
    mode: str | None = None,
    preferred: time | None = None,
    now: datetime | None = None,
) -> CourseProposal | NoCourse:
    """The whole course found automatically: same clinician, two sessions a week for four weeks.

    Without a clinician, each one who offers the course is tried (the patient's care team first) and the
    course that ends soonest wins. Nothing is booked: the patient sees the dates first.
    """
    when = now or utcnow()
    patient = patient_for_booking(session, actor, patient_id, AuditAction.READ)
    rules = catalogue().course
    kind = appointment_type(rules.appointment_type)
    clinic_zone = settings.clinic_timezone
    start, end = local_days(first_day, 7 * rules.weeks, clinic_zone)
    if end <= when:
        raise InvalidInput("That course would be over already; choose a later first week.", field="first_day")
    result = find_slots(
        session,
        type_key=kind.key,
        start=max(start, when),
        end=end,
        clinic_zone=clinic_zone,
        clinician_id=clinician_id,
        mode=mode,
        patient_id=patient.id,
        staff=actor.role != Role.PATIENT,
        every_clinician=True,
        now=when,
    )
    team = care_team_ids(session, patient.id)
    by_clinician: dict[uuid.UUID, list[int]] = defaultdict(list)
    for slot in result.slots:
        by_clinician[slot.clinician_id].append(core.to_epoch(slot.starts_at))
    best: tuple[tuple[int, bool, str], BookableClinician, list[int]] | None = None
    for clinician in result.clinicians:
        plan = core.plan_course(
            by_clinician.get(clinician.id, []),
            clinician.timezone,
            first_day=first_day,
            weeks=rules.weeks,
            per_week=rules.per_week,
            min_days_apart=rules.min_days_apart,
            preferred=preferred,
        )
        if plan is None:
            continue
        rank = (plan[-1], clinician.id not in team, clinician.full_name)
        if best is None or rank < best[0]:
            best = (rank, clinician, plan)
    if best is None:
        who = "this clinician" if clinician_id else "any clinician"
        return NoCourse(
            f"There is not enough free time with {who} for the whole course starting that week. "
            "Try a later week, or call the clinic."
        )
    _, clinician, plan = best
    return CourseProposal(kind, clinician, first_day, mode, [core.from_epoch(m) for m in plan])


def _check_course_pattern(starts: Sequence[datetime], first_day: date, zone: str) -> None:
    rules = catalogue().course
    if len(starts) != rules.sessions:
        raise InvalidInput(
            f"A course has {rules.sessions} sessions; {len(starts)} were given.", field="starts"
        )
    tz = ZoneInfo(zone)
    days = [s.astimezone(tz).date() for s in sorted(starts)]
    per_week: dict[int, int] = defaultdict(int)
    for day in days:
        week = (day - first_day).days // 7
        if not 0 <= week < rules.weeks:
            raise InvalidInput(
                f"{day.isoformat()} is outside the course's {rules.weeks} weeks.", field="starts"
            )
        per_week[week] += 1
    if any(per_week[w] != rules.per_week for w in range(rules.weeks)):
        raise InvalidInput(
            f"A course has {rules.per_week} sessions in each of its {rules.weeks} weeks.", field="starts"
        )
    for earlier, later in itertools.pairwise(days):
        if (later - earlier).days < max(rules.min_days_apart, 1):
            raise InvalidInput(
                f"Sessions must be at least {rules.min_days_apart} days apart "
                f"({earlier.isoformat()} and {later.isoformat()} are not).",
                field="starts",
            )


def book_course(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    clinician_id: uuid.UUID,
    first_day: date,
    starts: Sequence[datetime],
    patient_id: uuid.UUID | None = None,
    mode: str | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """Book every session of the course, or none: if one time was taken meanwhile, nothing is kept."""
    when = now or utcnow()
    moments = sorted(aware(s, "starts") for s in starts)
    _check_course_pattern(moments, first_day, settings.clinic_timezone)
    course_id = uuid.uuid4()
    kind = appointment_type(catalogue().course.appointment_type)
    bookings: list[Booking] = []
    with session.begin_nested():  # one savepoint around all sessions: any refusal undoes every one
        for number, moment in enumerate(moments, start=1):
            try:
                bookings.append(
                    book(
                        session,
                        actor,
                        settings,
                        type_key=kind.key,
                        clinician_id=clinician_id,
                        starts_at=moment,
                        patient_id=patient_id,
                        mode=mode,
                        course_id=course_id,
                        now=when,
                    )
                )
            except SlotTaken as exc:
                raise SlotTaken(
                    f"Session {number} ({local_label(moment, settings.clinic_timezone)}) was just taken, "
                    "so nothing was booked. Please look at the new proposal."
                ) from exc
    if bookings:
        bookings[0].joined_care_team = any(b.joined_care_team for b in bookings)
    return bookings
