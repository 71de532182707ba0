"""Demo calendars: working hours for the four clinicians, Maria's PRT course half done, James's first visit next
week, and enough other bookings (one cancelled by the clinic, one missed) for the week views to look real."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, User
from painrewire.config import get_settings
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentMode,
    AppointmentNotice,
    AppointmentStatus,
    AvailabilityMode,
    CalendarException,
    ChangeKind,
    ClinicianCalendar,
    ExceptionKind,
    WorkingHours,
)

EITHER, IN_PERSON, VIDEO = AvailabilityMode.EITHER, AvailabilityMode.IN_PERSON, AvailabilityMode.VIDEO

#: Weekday -> blocks (start, end, mode), per discipline.
HOURS: dict[Discipline, dict[int, list[tuple[str, str, AvailabilityMode]]]] = {
    Discipline.PAIN_SPECIALIST: {
        **{d: [("09:00", "12:30", EITHER), ("13:30", "17:00", EITHER)] for d in range(4)},
        4: [("09:00", "13:00", VIDEO)],
    },
    Discipline.PHYSICAL_THERAPIST: {
        d: [("08:30", "12:30", IN_PERSON), ("13:30", "16:30", IN_PERSON)] for d in (0, 1, 3, 4)
    },
    Discipline.PSYCHOLOGIST: {
        **{d: [("10:00", "13:00", EITHER), ("14:00", "18:00", EITHER)] for d in range(3)},
        3: [("12:00", "20:00", VIDEO)],
    },
    Discipline.NEUROFEEDBACK_PRACTITIONER: {
        d: [("09:00", "12:00", IN_PERSON), ("13:00", "17:00", IN_PERSON)] for d in (1, 2, 3)
    },
}
ROOMS = {
    Discipline.PAIN_SPECIALIST: "Consulting room 1, ground floor",
    Discipline.PHYSICAL_THERAPIST: "Movement studio, first floor",
    Discipline.PSYCHOLOGIST: "Consulting room 3, first floor",
    Discipline.NEUROFEEDBACK_PRACTITIONER: "EEG lab, first floor",
}


class _Booker:
    """Writes demo appointments directly (past ones cannot be booked through the service), oldest first."""

    def __init__(self, session: Session, zone: str, monday: date, now: datetime) -> None:
        self.session, self.zone, self.monday, self.now = session, zone, monday, now

    def at(self, week: int, weekday: int, clock: str) -> datetime:
        day = self.monday + timedelta(days=7 * week + weekday)
        return core.from_epoch(core.local_instant(day, time.fromisoformat(clock), self.zone))

    def add(
        self,
        patient: Patient,
        clinician: User,
        type_key: str,
        starts_at: datetime,
        *,
        mode: AppointmentMode = AppointmentMode.IN_PERSON,
        course_id: object = None,
        status: AppointmentStatus | None = None,
    ) -> Appointment:
        kind = catalogue().types[type_key]
        ends_at = starts_at + kind.duration
        if status is None:
            status = AppointmentStatus.COMPLETED if ends_at <= self.now else AppointmentStatus.BOOKED
        booked_at = min(starts_at - timedelta(days=10), self.now - timedelta(days=1))
        appointment = Appointment(
            patient_id=patient.id,
            clinician_id=clinician.id,
            appointment_type=type_key,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=starts_at - kind.buffer_before,
            blocked_until=ends_at + kind.buffer_after,
            timezone=self.zone,
            status=status,
            mode=mode,
            course_id=course_id,
            booked_by_id=patient.user_id,
            created_at=booked_at,
            updated_at=booked_at,
        )
        self.session.add(appointment)
        self.session.flush()
        self.session.add(
            AppointmentChange(
                appointment_id=appointment.id,
                at=booked_at,
                actor_id=patient.user_id,
                kind=ChangeKind.BOOKED,
                starts_at=starts_at,
            )
        )
        if status in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
            change = ChangeKind.COMPLETED if status == AppointmentStatus.COMPLETED else ChangeKind.NO_SHOW
            self.session.add(
                AppointmentChange(
                    appointment_id=appointment.id, at=ends_at, actor_id=clinician.id, kind=change
                )
            )
        return appointment


def _calendars(session: Session, clinic: DemoClinic, zone: str, monday: date) -> None:
    for discipline, clinician in clinic.clinicians.items():
        session.add(
            ClinicianCalendar(
                clinician_id=clinician.id,
                timezone=zone,
                accepts_online_booking=True,
                location=ROOMS[discipline],
            )
        )
        for weekday, blocks in HOURS[discipline].items():
            for starts, ends, mode in blocks:
                session.add(
                    WorkingHours(
                        clinician_id=clinician.id,
                        weekday=weekday,
                        starts=time.fromisoformat(starts),
                        ends=time.fromisoformat(ends),
                        mode=mode,
                    )
                )
    sam = clinic.clinicians[Discipline.PHYSICAL_THERAPIST]
    amara = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    holiday = monday + timedelta(days=11)  # next Friday
    session.add(
        CalendarException(
            clinician_id=sam.id,
            kind=ExceptionKind.HOLIDAY,
            starts_at=core.from_epoch(core.local_instant(holiday, time(0, 0), zone)),
            ends_at=core.from_epoch(core.local_instant(holiday + timedelta(days=1), time(0, 0), zone)),
            note="Annual leave",
            created_by_id=sam.id,
        )
    )
    teaching = monday + timedelta(days=9)  # next Wednesday afternoon
    session.add(
        CalendarException(
            clinician_id=amara.id,
            kind=ExceptionKind.AWAY,
            starts_at=core.from_epoch(core.local_instant(teaching, time(13, 30), zone)),
            ends_at=core.from_epoch(core.local_instant(teaching, time(17, 0), zone)),
            note="Teaching at the medical school",
            created_by_id=amara.id,
        )
    )
    session.flush()


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    zone = get_settings().clinic_timezone
    now = utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    monday = today - timedelta(days=today.weekday())
    _calendars(session, clinic, zone, monday)
    booker = _Booker(session, zone, monday, now)
    amara = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    sam = clinic.clinicians[Discipline.PHYSICAL_THERAPIST]
    priya = clinic.clinicians[Discipline.PSYCHOLOGIST]
    tomas = clinic.clinicians[Discipline.NEUROFEEDBACK_PRACTITIONER]
    maria, james, aisha = clinic.patients["maria"], clinic.patients["james"], clinic.patients["aisha"]

    # Maria's PRT course with Dr Raman began two weeks ago: Mondays in person, Thursdays by video.
    course = uuid.uuid4()
    for week in (-2, -1, 0, 1):
        booker.add(maria, priya, "prt_session", booker.at(week, 0, "10:00"), course_id=course)
        booker.add(
            maria,
            priya,
            "prt_session",
            booker.at(week, 3, "13:00"),
            mode=AppointmentMode.VIDEO,
            course_id=course,
        )
    for week in (-2, -1, 0):
        booker.add(maria, sam, "physical_therapy", booker.at(week, 1, "11:00"))
    for week in (-1, 0, 1):
        booker.add(maria, tomas, "neurofeedback", booker.at(week, 2, "14:00"))
    booker.add(maria, amara, "follow_up", booker.at(2, 0, "09:00"))
    # Next week's physical therapy was cancelled by the clinic: Maria sees the message on her home page.
    cancelled = booker.add(maria, sam, "physical_therapy", booker.at(1, 1, "11:00"))
    cancelled.status = AppointmentStatus.CANCELLED
    cancelled.cancelled_at = now - timedelta(hours=3)
    cancelled.cancelled_by_id = sam.id
    cancelled.cancel_reason = "Sam is on a training course that morning."
    cancelled.sequence = 1
    cancelled.updated_at = cancelled.cancelled_at
    session.add(
        AppointmentChange(
            appointment_id=cancelled.id,
            at=cancelled.cancelled_at,
            actor_id=sam.id,
            kind=ChangeKind.CANCELLED,
            note=cancelled.cancel_reason,
        )
    )
    session.add(
        AppointmentNotice(
            user_id=maria.user_id,
            appointment_id=cancelled.id,
            kind="cancelled",
            message=(
                "The clinic cancelled your physical therapy with Sam Lindqvist on "
                f"{cancelled.starts_at.astimezone(ZoneInfo(zone)):%a %d %b %Y, %H:%M}. "
                f"The clinic says: {cancelled.cancel_reason} Please book a new time."
            ),
            created_at=cancelled.cancelled_at,
        )
    )

    # Aisha sees Dr Raman weekly (she missed one), and Dr Okafor by video this Friday about her flare-up.
    booker.add(aisha, priya, "psychology", booker.at(-2, 1, "15:00"), status=AppointmentStatus.NO_SHOW)
    for week in (-1, 0, 1):
        booker.add(aisha, priya, "psychology", booker.at(week, 1, "15:00"))
    booker.add(aisha, amara, "follow_up", booker.at(0, 4, "09:30"), mode=AppointmentMode.VIDEO)
    booker.add(aisha, sam, "physical_therapy", booker.at(1, 3, "14:00"))

    # James comes for his initial assessment with Dr Okafor next week.
    booker.add(james, amara, "initial_assessment", booker.at(1, 1, "09:00"))
    session.flush()
