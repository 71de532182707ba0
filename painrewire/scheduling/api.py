"""JSON routes for booking: free times (public), appointments, the PRT course, calendars, notices, feeds."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import Query, Response
from fastapi.responses import Response as PlainResponse

from painrewire.accounts.deps import CurrentStaff, CurrentUser, OptionalUser
from painrewire.accounts.models import Role
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Forbidden
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import AppointmentStatus
from painrewire.scheduling.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentTypeRead,
    BookableClinicianRead,
    BookingRead,
    CalendarRead,
    CalendarUpdate,
    CancelRequest,
    CourseCreate,
    CourseProposalRead,
    CourseRead,
    CourseSessionRead,
    ExceptionAdded,
    ExceptionCreate,
    ExceptionRead,
    FeedRead,
    FeedRequest,
    HoursBlockRead,
    MarkRequest,
    NoticeRead,
    RescheduleRequest,
    SlotRead,
    SlotsRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["booking"])
ERRORS = error_responses(401, 403, 404, 409, 422)
PUBLIC_ERRORS = error_responses(422)
ICS = "text/calendar; charset=utf-8"


def appointment_read(view: scheduling.AppointmentView, settings: Settings) -> AppointmentRead:
    a = view.appointment
    return AppointmentRead(
        id=a.id,
        patient_id=a.patient_id,
        clinician_id=a.clinician_id,
        clinician_name=view.clinician_name,
        appointment_type=a.appointment_type,
        type_label=view.label,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        timezone=a.timezone,
        status=a.status,
        mode=str(a.mode),
        sequence=a.sequence,
        course_id=a.course_id,
        cancelled_at=a.cancelled_at,
        cancel_reason=a.cancel_reason,
        can_change_online=scheduling.can_change_online(a, settings, utcnow()),
    )


# --- public: what can be booked, and when -----------------------------------------------------------------


@router.get(
    "/booking/types",
    response_model=list[AppointmentTypeRead],
    summary="The clinic's appointment types, with durations and who offers them",
)
def list_types() -> list[AppointmentTypeRead]:
    return [
        AppointmentTypeRead(
            key=t.key,
            label=t.label,
            minutes=t.minutes,
            disciplines=list(t.disciplines),
            modes=list(t.modes),
            new_patients=t.new_patients,
            description=t.description,
        )
        for t in catalogue().types.values()
    ]


@router.get(
    "/booking/clinicians",
    response_model=list[BookableClinicianRead],
    summary="Clinicians who can be booked online for an appointment type",
    responses=PUBLIC_ERRORS,
)
def list_bookable_clinicians(
    appointment_type: Annotated[str, Query(max_length=64)], session: SessionDep, settings: SettingsDep
) -> list[BookableClinicianRead]:
    kind = scheduling.appointment_type(appointment_type)
    return [
        BookableClinicianRead(id=c.id, full_name=c.full_name, discipline=c.discipline)
        for c in scheduling.bookable_clinicians(session, kind, clinic_zone=settings.clinic_timezone)
    ]


@router.get(
    "/booking/slots",
    response_model=SlotsRead,
    summary="Free times from a first day, in a time zone (one clinician, or first available)",
    responses=PUBLIC_ERRORS,
)
def list_slots(
    appointment_type: Annotated[str, Query(max_length=64)],
    session: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    start: date | None = None,
    days: Annotated[int, Query(ge=1, le=56)] = 7,
    clinician_id: uuid.UUID | None = None,
    mode: Annotated[str | None, Query(pattern="^(in_person|video)$")] = None,
    timezone: Annotated[str | None, Query(max_length=64)] = None,
) -> SlotsRead:
    patient = scheduling.searching_patient(session, user)
    zone = scheduling.check_zone(timezone or (patient.timezone if patient else settings.clinic_timezone))
    first = start or scheduling.today_in(zone)
    window_start, window_end = scheduling.local_days(first, days, zone)
    result = scheduling.find_slots(
        session,
        type_key=appointment_type,
        start=window_start,
        end=window_end,
        clinic_zone=settings.clinic_timezone,
        clinician_id=clinician_id,
        mode=mode,
        patient_id=patient.id if patient else None,
    )
    return SlotsRead(
        appointment_type=result.kind.key,
        timezone=zone,
        start=window_start,
        end=window_end,
        slots=[
            SlotRead(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                local_start=s.starts_at.astimezone(scheduling.zone_info(zone)),
                label=scheduling.local_label(s.starts_at, zone),
                clinician_id=s.clinician_id,
                clinician_name=s.clinician_name,
                mode=s.mode,
            )
            for s in result.slots
        ],
    )


# --- appointments -----------------------------------------------------------------------------------------


@router.post(
    "/appointments",
    response_model=BookingRead,
    status_code=201,
    summary="Book an appointment (a patient for themselves; staff for a patient)",
    responses=ERRORS,
)
def create_appointment(
    data: AppointmentCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> BookingRead:
    booking = scheduling.book(
        session,
        user,
        settings,
        type_key=data.appointment_type,
        clinician_id=data.clinician_id,
        starts_at=data.starts_at,
        patient_id=data.patient_id,
        mode=data.mode,
    )
    return BookingRead(
        appointment=appointment_read(booking.view, settings), joined_care_team=booking.joined_care_team
    )


@router.get(
    "/appointments",
    response_model=list[AppointmentRead],
    summary="My appointments: a patient's own; a clinician's or the clinic's in a window",
    responses=ERRORS,
)
def list_my_appointments(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[AppointmentRead]:
    if user.role == Role.PATIENT:
        _, views = scheduling.patient_appointments(session, user)
    else:
        low = scheduling.aware(start, "start") if start else utcnow() - timedelta(days=1)
        high = scheduling.aware(end, "end") if end else low + timedelta(days=28)
        if user.role == Role.CLINICIAN:
            views = scheduling.clinician_schedule(session, user, user.id, start=low, end=high)
        else:
            views = scheduling.clinic_schedule(
                session, user, start=low, end=min(high, low + timedelta(days=31))
            )
    return [appointment_read(v, settings) for v in views]


@router.get(
    "/appointments/course/proposal",
    response_model=CourseProposalRead,
    summary="Find the whole PRT course (8 sessions, 2 a week for 4 weeks) without booking it",
    responses=ERRORS,
)
def propose_course(
    first_day: date,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    clinician_id: uuid.UUID | None = None,
    mode: Annotated[str | None, Query(pattern="^(in_person|video)$")] = None,
    preferred_time: time | None = None,
    patient_id: uuid.UUID | None = None,
) -> CourseProposalRead:
    proposal = scheduling.propose_course(
        session,
        user,
        settings,
        first_day=first_day,
        patient_id=patient_id,
        clinician_id=clinician_id,
        mode=mode,
        preferred=preferred_time,
    )
    zone = scheduling.viewer_zone(session, user, settings)
    return CourseProposalRead(
        appointment_type=proposal.kind.key,
        clinician_id=proposal.clinician.id,
        clinician_name=proposal.clinician.full_name,
        first_day=proposal.first_day,
        mode=proposal.mode,
        sessions=[
            CourseSessionRead(number=n, starts_at=s, ends_at=e, label=scheduling.local_label(s, zone))
            for n, s, e in proposal.sessions
        ],
    )


@router.post(
    "/appointments/course",
    response_model=CourseRead,
    status_code=201,
    summary="Book every session of the course at once, or none of them",
    responses=ERRORS,
)
def book_course(
    data: CourseCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> CourseRead:
    bookings = scheduling.book_course(
        session,
        user,
        settings,
        clinician_id=data.clinician_id,
        first_day=data.first_day,
        starts=data.starts,
        patient_id=data.patient_id,
        mode=data.mode,
    )
    return CourseRead(
        course_id=bookings[0].appointment.course_id or uuid.uuid4(),
        appointments=[appointment_read(b.view, settings) for b in bookings],
        joined_care_team=any(b.joined_care_team for b in bookings),
    )


@router.get(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    summary="One appointment",
    responses=ERRORS,
)
def get_appointment(
    appointment_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> AppointmentRead:
    return appointment_read(scheduling.get_appointment(session, user, appointment_id), settings)


@router.get(
    "/appointments/{appointment_id}/ics",
    response_class=PlainResponse,
    summary="One appointment as an iCalendar file",
    responses={**ERRORS, 200: {"content": {"text/calendar": {}}, "description": "The .ics file"}},
)
def appointment_ics(
    appointment_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    body = scheduling.appointment_ics(session, user, settings, appointment_id)
    return Response(
        body,
        media_type=ICS,
        headers={"Content-Disposition": 'attachment; filename="appointment.ics"'},
    )


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=AppointmentRead,
    summary="Move an appointment to another free time of the same clinician",
    responses=ERRORS,
)
def reschedule(
    appointment_id: uuid.UUID,
    data: RescheduleRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> AppointmentRead:
    view = scheduling.reschedule(
        session, user, settings, appointment_id, starts_at=data.starts_at, mode=data.mode
    )
    return appointment_read(view, settings)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=AppointmentRead,
    summary="Cancel an appointment (patients up to the clinic's notice period)",
    responses=ERRORS,
)
def cancel(
    appointment_id: uuid.UUID,
    data: CancelRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> AppointmentRead:
    view = scheduling.cancel(session, user, settings, appointment_id, reason=data.reason)
    return appointment_read(view, settings)


@router.post(
    "/appointments/{appointment_id}/mark",
    response_model=AppointmentRead,
    summary="Record that the patient came (completed) or did not (no_show)",
    responses=ERRORS,
)
def mark(
    appointment_id: uuid.UUID,
    data: MarkRequest,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> AppointmentRead:
    view = scheduling.mark(session, user, appointment_id, AppointmentStatus(data.status))
    return appointment_read(view, settings)


@router.get(
    "/patients/{patient_id}/appointments",
    response_model=list[AppointmentRead],
    summary="A patient's appointments (an administrator gives a reason)",
    responses=ERRORS,
)
def patient_appointments(
    patient_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> list[AppointmentRead]:
    _, views = scheduling.patient_appointments(session, user, patient_id, reason=reason)
    return [appointment_read(v, settings) for v in views]


# --- calendars --------------------------------------------------------------------------------------------


def _calendar_read(view: scheduling.CalendarView) -> CalendarRead:
    return CalendarRead(
        clinician_id=view.clinician.id,
        clinician_name=view.clinician.full_name,
        discipline=str(view.clinician.discipline or ""),
        timezone=view.calendar.timezone,
        accepts_online_booking=view.calendar.accepts_online_booking,
        location=view.calendar.location,
        hours=[HoursBlockRead.model_validate(h) for h in view.hours],
        exceptions=[ExceptionRead.model_validate(e) for e in view.exceptions],
    )


@router.get(
    "/clinicians/{clinician_id}/calendar",
    response_model=CalendarRead,
    summary="A clinician's calendar: zone, weekly hours and coming exceptions",
    responses=ERRORS,
)
def get_calendar(
    clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> CalendarRead:
    return _calendar_read(
        scheduling.calendar_for(session, user, clinician_id, clinic_zone=settings.clinic_timezone)
    )


@router.put(
    "/clinicians/{clinician_id}/calendar",
    response_model=CalendarRead,
    summary="Change a calendar's settings, and replace its weekly hours when given",
    responses=ERRORS,
)
def update_calendar(
    clinician_id: uuid.UUID,
    data: CalendarUpdate,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> CalendarRead:
    hours = (
        [scheduling.HoursBlock(h.weekday, h.starts, h.ends, h.mode) for h in data.hours]
        if data.hours is not None
        else None
    )
    view = scheduling.update_calendar(
        session,
        user,
        clinician_id,
        clinic_zone=settings.clinic_timezone,
        hours=hours,
        timezone=data.timezone,
        accepts_online_booking=data.accepts_online_booking,
        location=data.location,
    )
    return _calendar_read(view)


@router.post(
    "/clinicians/{clinician_id}/calendar/exceptions",
    response_model=ExceptionAdded,
    status_code=201,
    summary="Mark time off (holiday, sick, part of a day); lists bookings that fall in it",
    responses=ERRORS,
)
def add_exception(
    clinician_id: uuid.UUID,
    data: ExceptionCreate,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> ExceptionAdded:
    added = scheduling.add_exception(
        session,
        user,
        clinician_id,
        kind=data.kind,
        first_day=data.first_day,
        last_day=data.last_day,
        starts=data.starts,
        ends=data.ends,
        note=data.note,
        clinic_zone=settings.clinic_timezone,
    )
    return ExceptionAdded(
        exception=ExceptionRead.model_validate(added.exception),
        clashing_appointments=[appointment_read(v, settings) for v in added.clashes],
    )


@router.delete(
    "/clinicians/{clinician_id}/calendar/exceptions/{exception_id}",
    status_code=204,
    summary="Remove an exception",
    responses=ERRORS,
)
def remove_exception(
    clinician_id: uuid.UUID, exception_id: uuid.UUID, user: CurrentStaff, session: SessionDep
) -> Response:
    scheduling.remove_exception(session, user, clinician_id, exception_id)
    return Response(status_code=204)


@router.get(
    "/clinicians/{clinician_id}/appointments",
    response_model=list[AppointmentRead],
    summary="A clinician's appointments in a window (their own, or any for the front desk)",
    responses=ERRORS,
)
def clinician_appointments(
    clinician_id: uuid.UUID,
    start: datetime,
    end: datetime,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> list[AppointmentRead]:
    views = scheduling.clinician_schedule(
        session, user, clinician_id, start=scheduling.aware(start, "start"), end=scheduling.aware(end, "end")
    )
    return [appointment_read(v, settings) for v in views]


# --- notices and the calendar feed ------------------------------------------------------------------------


@router.get(
    "/notices", response_model=list[NoticeRead], summary="Unread messages from the clinic", responses=ERRORS
)
def list_notices(user: CurrentUser, session: SessionDep) -> list[NoticeRead]:
    return [NoticeRead.model_validate(n) for n in scheduling.unread_notices(session, user)]


@router.post(
    "/notices/{notice_id}/read", response_model=NoticeRead, summary="Mark a message as read", responses=ERRORS
)
def read_notice(notice_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> NoticeRead:
    return NoticeRead.model_validate(scheduling.mark_notice_read(session, user, notice_id))


def _feed_read(
    session: SessionDep, user: CurrentUser, settings: Settings, token: str | None = None
) -> FeedRead:
    feed = scheduling.feed_of(session, user)
    if feed is None:
        return FeedRead(active=False)
    return FeedRead(
        active=True,
        url=scheduling.feed_url(settings, token) if token else None,
        created_at=feed.created_at,
        last_fetched_at=feed.last_fetched_at,
    )


@router.get(
    "/calendar-feed",
    response_model=FeedRead,
    summary="Whether my private calendar feed is on",
    responses=ERRORS,
)
def feed_status(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> FeedRead:
    if user.role == Role.ADMIN:
        raise Forbidden("Calendar feeds are for patients and clinicians.")
    return _feed_read(session, user, settings)


@router.post(
    "/calendar-feed",
    response_model=FeedRead,
    summary="Make a new secret feed address (the old one stops working), or switch the feed off",
    responses=ERRORS,
)
def change_feed(data: FeedRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> FeedRead:
    if data.action == "create":
        token = scheduling.create_feed(session, user)
        return _feed_read(session, user, settings, token)
    scheduling.revoke_feed(session, user)
    return FeedRead(active=False)
