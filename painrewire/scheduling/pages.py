"""Pages: the public "Book now" flow (with sign-up), the patient's appointments and feed, the PRT course in one
step, clinicians' week views and calendar settings, and the front desk's view of the clinic."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import (
    CurrentAdmin,
    CurrentClinician,
    CurrentPatientUser,
    CurrentStaff,
    OptionalUser,
)
from painrewire.accounts.models import Discipline, Role, User
from painrewire.config import Settings, get_settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, TooManyRequests
from painrewire.patients import access, panels
from painrewire.patients import signup as signups
from painrewire.patients.models import Patient
from painrewire.patients.schemas import SignUp
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import SlotTaken
from painrewire.scheduling.models import AppointmentStatus, AvailabilityMode, ExceptionKind
from painrewire.web.deps import SessionDep, SettingsDep, client_address
from painrewire.web.errors import headers_for, readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render, templates

router = page_router()
register_nav(Role.PATIENT, "/patient/appointments", "Appointments")
register_nav(Role.CLINICIAN, "/clinician/calendar", "Calendar")
register_nav(Role.ADMIN, "/clinic/schedule", "Clinic calendar")
register_nav(Role.ADMIN, "/clinic/calendars", "Clinicians' hours")

ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
DISCIPLINE_ORDER = [d.value for d in Discipline]


def _local(moment: datetime | None, zone: str, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    if moment is None:
        return ""
    return moment.astimezone(scheduling.zone_info(zone)).strftime(fmt)


templates.env.filters["local"] = _local
templates.env.globals["discipline_label"] = lambda d: Discipline(d).label if d in DISCIPLINE_ORDER else d


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _parse_date(value: str | None, default: date, field: str) -> date:
    if not value:
        return default
    try:
        return scheduling.check_day(date.fromisoformat(value), field)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {value!r} is not a date (YYYY-MM-DD).", field=field) from exc


def _parse_uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value or value == "any":
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(f"{field}: not a valid choice.", field=field) from exc


def _parse_instant(value: str | None, field: str = "start") -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError as exc:
        raise InvalidInput(
            "That time could not be read; please pick one from the list.", field=field
        ) from exc
    return scheduling.aware(moment, field)


def _parse_mode(value: str | None) -> str | None:
    if not value or value == "any":
        return None
    if value not in ("in_person", "video"):
        raise InvalidInput("Choose in person or video.", field="mode")
    return value


def _types_for(user: User | None) -> list[AppointmentType]:
    types = list(catalogue().types.values())
    if user is None:
        return [t for t in types if t.new_patients]
    return types


def _grouped_types(types: list[AppointmentType]) -> list[tuple[str, list[AppointmentType]]]:
    groups: dict[str, list[AppointmentType]] = defaultdict(list)
    for kind in types:
        groups[kind.disciplines[0] if len(kind.disciplines) == 1 else "any"].append(kind)
    order = [*DISCIPLINE_ORDER, "any"]
    return [(d, groups[d]) for d in order if groups.get(d)]


def _days_with_slots(
    slots: list[scheduling.Slot], first: date, days: int, zone: str
) -> list[tuple[date, list[scheduling.Slot]]]:
    tz = scheduling.zone_info(zone)
    by_day: dict[date, list[scheduling.Slot]] = defaultdict(list)
    for slot in slots:
        by_day[slot.starts_at.astimezone(tz).date()].append(slot)
    return [(first + timedelta(days=i), by_day.get(first + timedelta(days=i), [])) for i in range(days)]


def _zone_changes(slots: list[scheduling.Slot], zone: str) -> bool:
    """Whether the clock changes among these times (then each time shows GMT/BST, so 01:30 is never ambiguous)."""
    tz = scheduling.zone_info(zone)
    return len({s.starts_at.astimezone(tz).tzname() for s in slots}) > 1


def _display_zone(session: Session, user: User | None, settings: Settings, asked: str | None) -> str:
    if asked:
        return scheduling.check_zone(asked, field="tz")
    return scheduling.viewer_zone(session, user, settings)


# --- the public "Book now" flow --------------------------------------------------------------------------


def _chosen_clinician(session: Session, value: str | None) -> User | None:
    """The clinician someone came to book with (from the list of clinicians), before choosing what to book."""
    clinician_id = _parse_uuid(value, "clinician")
    if clinician_id is None:
        return None
    found = session.get(User, clinician_id)
    if found is None or found.role != Role.CLINICIAN or not found.is_active:
        raise InvalidInput("clinician: not a valid choice.", field="clinician")
    return found


def _book_context(
    request: Request,
    session: Session,
    user: User | None,
    settings: Settings,
) -> dict[str, Any]:
    params = request.query_params
    zone = _display_zone(session, user, settings, params.get("tz"))
    types = _types_for(user)
    chosen = None if params.get("type") else _chosen_clinician(session, params.get("clinician"))
    context: dict[str, Any] = {
        "zone": zone,
        "zones": ZONES,
        "groups": _grouped_types(
            [t for t in types if chosen is None or str(chosen.discipline) in t.disciplines]
        ),
        "chosen": chosen,
        "kind": None,
        "is_patient": user is not None and user.role == Role.PATIENT,
        "is_staff": user is not None and user.role != Role.PATIENT,
        "course": catalogue().course,
    }
    key = params.get("type")
    if not key:
        return context
    kind = scheduling.appointment_type(key)
    if kind not in types:
        raise InvalidInput(
            f"{kind.label} is booked by patients already in our care. Please log in, or book an initial assessment.",
            field="type",
        )
    clinician_id = _parse_uuid(params.get("clinician"), "clinician")
    mode = _parse_mode(params.get("mode"))
    today = scheduling.today_in(zone)
    horizon = today + timedelta(weeks=catalogue().booking.horizon_weeks)
    first = min(max(_parse_date(params.get("week"), today, "week"), today), horizon)
    days = 7
    start, end = scheduling.local_days(first, days, zone)
    patient = scheduling.patient_of(session, user)
    result = scheduling.find_slots(
        session,
        type_key=kind.key,
        start=start,
        end=end,
        clinic_zone=settings.clinic_timezone,
        clinician_id=clinician_id,
        mode=mode,
        patient_id=patient.id if patient else None,
    )
    base = {"type": kind.key, "clinician": str(clinician_id or "any"), "tz": zone}
    if mode:
        base["mode"] = mode
    context.update(
        kind=kind,
        clinicians=scheduling.bookable_clinicians(session, kind, clinic_zone=settings.clinic_timezone),
        clinician_id=clinician_id,
        mode=mode,
        first=first,
        days=_days_with_slots(result.slots, first, days, zone),
        slot_count=len(result.slots),
        show_abbr=_zone_changes(result.slots, zone),
        prev_week=(first - timedelta(days=7)).isoformat() if first > today else None,
        next_week=(first + timedelta(days=7)).isoformat() if first + timedelta(days=7) <= horizon else None,
        query=base,
        clinic_zone=settings.clinic_timezone,
        confirm_href=lambda slot: (
            "/book/confirm?"
            + urlencode(
                {
                    "type": kind.key,
                    "clinician": str(slot.clinician_id),
                    "start": slot.starts_at.isoformat(),
                    "tz": zone,
                    **({"mode": mode} if mode else {}),
                }
            )
        ),
        week_href=lambda week: "/book?" + urlencode({**base, "week": week}),
    )
    return context


@router.get("/book", response_class=HTMLResponse)
def book_page(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        context = _book_context(request, session, user, settings)
    except InvalidInput as exc:
        context = {
            "zone": settings.clinic_timezone,
            "zones": ZONES,
            "groups": _grouped_types(_types_for(user)),
            "kind": None,
            "errors": [exc.message],
            "is_patient": user is not None and user.role == Role.PATIENT,
            "is_staff": user is not None and user.role != Role.PATIENT,
            "course": catalogue().course,
        }
        return render(request, "scheduling/book.html", context, status_code=422)
    return render(request, "scheduling/book.html", context)


def _confirm_context(
    session: Session, user: User | None, settings: Settings, values: dict[str, str]
) -> dict[str, Any]:
    """What the confirmation step shows; raises a domain error when the choice is not bookable."""
    kind = scheduling.appointment_type(values.get("type", ""))
    if kind not in _types_for(user):
        raise InvalidInput(
            f"{kind.label} is booked by patients already in our care; please log in.", field="type"
        )
    clinician_id = _parse_uuid(values.get("clinician"), "clinician")
    if clinician_id is None:
        raise InvalidInput("Please pick a time from the list.", field="clinician")
    starts_at = _parse_instant(values.get("start"))
    mode = _parse_mode(values.get("mode"))
    zone = _display_zone(session, user, settings, values.get("tz"))
    patient = scheduling.patient_of(session, user)
    result = scheduling.find_slots(
        session,
        type_key=kind.key,
        start=starts_at,
        end=starts_at + timedelta(seconds=1),
        clinic_zone=settings.clinic_timezone,
        clinician_id=clinician_id,
        patient_id=patient.id if patient else None,
    )
    slot = next((s for s in result.slots if s.starts_at == starts_at), None)
    if slot is None:
        raise SlotTaken("That time is no longer free. Please choose another time.")
    modes = [m for m in kind.modes if slot.mode in (AvailabilityMode.EITHER, m)]
    return {
        "kind": kind,
        "slot": slot,
        "zone": zone,
        "clinic_zone": settings.clinic_timezone,
        "modes": modes,
        "mode": mode or modes[0],
        "values": values,
        "is_patient": patient is not None,
        "is_staff": user is not None and user.role != Role.PATIENT,
        "on_team": patient is not None
        and access.is_on_care_team(session, _user(session, slot.clinician_id), patient.id),
        "back_href": "/book?"
        + urlencode(
            {
                "type": kind.key,
                "clinician": str(clinician_id),
                "tz": zone,
                "week": _local(starts_at, zone, "%Y-%m-%d"),
            }
        ),
        "login_href": "/login?" + urlencode({"next": "/book/confirm?" + urlencode(values)}),
    }


def _user(session: Session, user_id: uuid.UUID) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFound("No such clinician.")
    return found


def _slot_values(source: Any) -> dict[str, str]:
    return {k: str(source.get(k)) for k in ("type", "clinician", "start", "mode", "tz") if source.get(k)}


@router.get("/book/confirm", response_class=HTMLResponse)
def confirm_page(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    values = _slot_values(request.query_params)
    try:
        context = _confirm_context(session, user, settings, values)
    except (InvalidInput, Conflict) as exc:
        return _unavailable(request, values, exc)
    return render(request, "scheduling/confirm.html", {**context, "form": {"timezone": context["zone"]}})


def _unavailable(request: Request, values: dict[str, str], exc: DomainError) -> Response:
    kept: dict[str, str] = {k: values[k] for k in ("type", "tz") if k in values}
    back = "/book?" + urlencode(kept) if "type" in kept else "/book"
    return render(
        request,
        "scheduling/unavailable.html",
        {"message": exc.message, "back_href": back},
        status_code=status_for(exc),
    )


@router.post("/book/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    raw = await request.form()
    values = _slot_values(raw)
    try:
        context = _confirm_context(session, user, settings, values)
    except (InvalidInput, Conflict) as exc:
        return _unavailable(request, values, exc)
    if context["is_staff"]:
        raise Forbidden("Clinic staff book for a patient from the clinic's calendar, not from this page.")
    slot: scheduling.Slot = context["slot"]
    form = {k: str(raw.get(k) or "") for k in ("full_name", "email", "date_of_birth", "timezone", "phone")}
    booking_args = {
        "type_key": context["kind"].key,
        "clinician_id": slot.clinician_id,
        "starts_at": slot.starts_at,
        "mode": _parse_mode(str(raw.get("mode") or "")) or context["mode"],
    }
    try:
        if user is None:
            # A newcomer signs up by email first (the same answer whether or not the email has an account);
            # the link brings them back here, logged in, to book this time.
            data = SignUp.model_validate(
                {
                    "full_name": form["full_name"],
                    "email": form["email"],
                    "password": str(raw.get("password") or ""),
                    "date_of_birth": form["date_of_birth"] or None,
                    "timezone": form["timezone"] or context["zone"],
                }
            )
            message = signups.request_sign_up(
                session,
                settings,
                data,
                client=client_address(request),
                next_path="/book/confirm?" + urlencode(values),
            )
            return render(request, "patients/signup_sent.html", {"message": message, "booking": True})
        booking = scheduling.book(session, user, settings, **booking_args)
    except ValidationError as exc:
        return render(
            request,
            "scheduling/confirm.html",
            {**context, "form": form, "errors": readable_pydantic_errors(exc)},
            status_code=422,
        )
    except (InvalidInput, Conflict, TooManyRequests) as exc:
        if isinstance(exc, SlotTaken):
            return _unavailable(request, values, exc)
        return render(
            request,
            "scheduling/confirm.html",
            {**context, "form": form, "errors": [exc.message]},
            status_code=status_for(exc),
            headers=headers_for(exc),
        )
    target = f"/book/appointments/{booking.appointment.id}?booked=1" + (
        "&joined=1" if booking.joined_care_team else ""
    )
    return redirect(target)


# --- one appointment: confirmation, .ics, move, cancel ---------------------------------------------------


def _appointment_context(
    session: Session, user: User, settings: Settings, view: scheduling.AppointmentView
) -> dict[str, Any]:
    appointment = view.appointment
    zone = view.patient_timezone if user.role == Role.PATIENT else settings.clinic_timezone
    now = utcnow()
    return {
        "view": view,
        "a": appointment,
        "zone": zone,
        "clinic_zone": settings.clinic_timezone,
        "can_change": scheduling.can_change_online(appointment, settings, now),
        "is_open": appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now,
        "deadline": scheduling.notice_deadline(appointment, settings),
        "notice_hours": settings.booking_notice_hours,
        "is_patient": user.role == Role.PATIENT,
    }


@router.get("/book/appointments/{appointment_id}", response_class=HTMLResponse)
def appointment_page(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    view = scheduling.get_appointment(session, user, appointment_id)
    return render(request, "scheduling/appointment.html", _appointment_context(session, user, settings, view))


@router.get("/book/appointments/{appointment_id}/calendar.ics")
def appointment_ics(
    appointment_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    body = scheduling.appointment_ics(session, user, settings, appointment_id)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="painrewire-appointment.ics"'},
    )


def _reschedule_context(
    request: Request, session: Session, user: User, settings: Settings, view: scheduling.AppointmentView
) -> dict[str, Any]:
    context = _appointment_context(session, user, settings, view)
    zone = context["zone"]
    appointment = view.appointment
    today = scheduling.today_in(zone)
    first = max(_parse_date(request.query_params.get("week"), today, "week"), today)
    start, end = scheduling.local_days(first, 7, zone)
    result = scheduling.find_slots(
        session,
        type_key=appointment.appointment_type,
        start=start,
        end=end,
        clinic_zone=settings.clinic_timezone,
        clinician_id=appointment.clinician_id,
        patient_id=appointment.patient_id,
        ignore_appointment_id=appointment.id,
        mode=str(appointment.mode),
    )
    base = f"/book/appointments/{appointment.id}/reschedule?week="
    context.update(
        first=first,
        days=_days_with_slots(
            [s for s in result.slots if s.starts_at != appointment.starts_at], first, 7, zone
        ),
        prev_href=base + (first - timedelta(days=7)).isoformat() if first > today else None,
        next_href=base + (first + timedelta(days=7)).isoformat(),
    )
    return context


@router.get("/book/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
def reschedule_page(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    view = scheduling.get_appointment(session, user, appointment_id)
    context = _appointment_context(session, user, settings, view)
    if not context["is_open"]:
        return render(request, "scheduling/appointment.html", {**context, "closed": True}, status_code=409)
    if not context["can_change"]:
        return render(request, "scheduling/appointment.html", {**context, "too_late": True}, status_code=409)
    try:
        context = _reschedule_context(request, session, user, settings, view)
    except InvalidInput as exc:
        return render(
            request, "scheduling/appointment.html", {**context, "errors": [exc.message]}, status_code=422
        )
    return render(request, "scheduling/reschedule.html", context)


@router.post("/book/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
def reschedule(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        scheduling.reschedule(session, user, settings, appointment_id, starts_at=_parse_instant(start))
    except (InvalidInput, Conflict) as exc:
        view = scheduling.get_appointment(session, user, appointment_id)
        context = _appointment_context(session, user, settings, view)
        if context["is_open"] and context["can_change"]:
            context = _reschedule_context(request, session, user, settings, view)
            return render(
                request,
                "scheduling/reschedule.html",
                {**context, "errors": [exc.message]},
                status_code=status_for(exc),
            )
        return render(
            request,
            "scheduling/appointment.html",
            {**context, "errors": [exc.message]},
            status_code=status_for(exc),
        )
    return redirect(f"/book/appointments/{appointment_id}?moved=1")


@router.post("/book/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
    confirm: Annotated[str, Form(pattern="^yes$")],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        scheduling.cancel(session, user, settings, appointment_id, reason=reason)
    except Conflict as exc:
        view = scheduling.get_appointment(session, user, appointment_id)
        context = _appointment_context(session, user, settings, view)
        return render(
            request, "scheduling/appointment.html", {**context, "errors": [exc.message]}, status_code=409
        )
    return redirect(f"/book/appointments/{appointment_id}?cancelled=1")


# --- the PRT course in one step --------------------------------------------------------------------------


def _course_context(
    request: Request, session: Session, user: User, settings: Settings, values: Any
) -> dict[str, Any]:
    zone = scheduling.viewer_zone(session, user, settings)
    clinic_today = scheduling.today_in(settings.clinic_timezone)
    next_monday = _week_start(clinic_today) + timedelta(days=7)
    first_day = _parse_date(values.get("first_day"), next_monday, "first_day")
    if first_day < clinic_today:
        raise InvalidInput("The first week cannot start in the past.", field="first_day")
    kind = scheduling.appointment_type(catalogue().course.appointment_type)
    clinician_id = _parse_uuid(values.get("clinician"), "clinician")
    mode = _parse_mode(values.get("mode"))
    context: dict[str, Any] = {
        "kind": kind,
        "rules": catalogue().course,
        "zone": zone,
        "first_day": first_day,
        "clinician_id": clinician_id,
        "mode": mode,
        "clinicians": scheduling.bookable_clinicians(session, kind, clinic_zone=settings.clinic_timezone),
        "weeks": [
            next_monday + timedelta(days=7 * i)
            for i in range(-1, 8)
            if next_monday + timedelta(days=7 * i) >= clinic_today
        ],
        "proposal": None,
    }
    try:
        context["proposal"] = scheduling.propose_course(
            session, user, settings, first_day=first_day, clinician_id=clinician_id, mode=mode
        )
    except SlotTaken as exc:
        context["no_fit"] = exc.message
    return context


@router.get("/book/course", response_class=HTMLResponse)
def course_page(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        context = _course_context(request, session, user, settings, request.query_params)
    except InvalidInput as exc:
        context = _course_context(request, session, user, settings, {})
        return render(
            request, "scheduling/course.html", {**context, "errors": [exc.message]}, status_code=422
        )
    return render(request, "scheduling/course.html", context)


@router.post("/book/course", response_class=HTMLResponse)
async def book_course(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    raw = await request.form()
    values = {k: str(raw.get(k) or "") for k in ("first_day", "clinician", "mode")}
    try:
        clinician_id = _parse_uuid(values["clinician"], "clinician")
        if clinician_id is None:
            raise InvalidInput("Choose the course's clinician.", field="clinician")
        starts = [_parse_instant(str(s), "starts") for s in raw.getlist("starts")]
        first_day = _parse_date(values["first_day"], date.today(), "first_day")
        bookings = scheduling.book_course(
            session,
            user,
            settings,
            clinician_id=clinician_id,
            first_day=first_day,
            starts=starts,
            mode=_parse_mode(values["mode"]),
        )
    except (InvalidInput, Conflict) as exc:
        try:
            context = _course_context(request, session, user, settings, values)
        except InvalidInput:
            context = _course_context(request, session, user, settings, {})
        return render(
            request,
            "scheduling/course.html",
            {**context, "errors": [exc.message]},
            status_code=status_for(exc),
        )
    joined = "&joined=1" if any(b.joined_care_team for b in bookings) else ""
    return redirect(f"/patient/appointments?course=1{joined}")


# --- the patient's appointments, notices and calendar feed -----------------------------------------------


def _my_appointments(
    request: Request, session: Session, user: User, settings: Settings, *, feed_url: str | None = None
) -> Response:
    patient, views = scheduling.patient_appointments(session, user)
    now = utcnow()
    upcoming = [
        v for v in views if v.appointment.status == AppointmentStatus.BOOKED and v.appointment.ends_at > now
    ]
    past = [v for v in reversed(views) if v not in upcoming]
    return render(
        request,
        "scheduling/my_appointments.html",
        {
            "zone": patient.timezone,
            "upcoming": upcoming,
            "past": past[:30],
            "feed": scheduling.feed_of(session, user),
            "feed_url": feed_url,
            "can_change": {
                v.appointment.id: scheduling.can_change_online(v.appointment, settings, now) for v in upcoming
            },
            "notices": scheduling.unread_notices(session, user),
        },
    )


@router.get("/patient/appointments", response_class=HTMLResponse)
def my_appointments(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    return _my_appointments(request, session, user, settings)


@router.post("/patient/calendar-feed", response_class=HTMLResponse)
def change_feed(
    request: Request,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
    action: Annotated[str, Form(pattern="^(create|revoke)$")],
) -> Response:
    if action == "create":
        token = scheduling.create_feed(session, user)
        return _my_appointments(
            request, session, user, settings, feed_url=scheduling.feed_url(settings, token)
        )
    scheduling.revoke_feed(session, user)
    return redirect("/patient/appointments?feed=off")


@router.post("/patient/notices/{notice_id}/read", response_class=HTMLResponse)
def read_notice(
    notice_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    back: Annotated[str, Form(pattern="^/patient(/appointments)?$")],
) -> Response:
    scheduling.mark_notice_read(session, user, notice_id)
    return redirect(back)


# --- clinicians and the front desk -----------------------------------------------------------------------


def _week_context(
    request: Request, session: Session, actor: User, settings: Settings, clinician_id: uuid.UUID
) -> dict[str, Any]:
    view = scheduling.calendar_for(session, actor, clinician_id, clinic_zone=settings.clinic_timezone)
    zone = view.calendar.timezone
    today = scheduling.today_in(zone)
    first = _week_start(_parse_date(request.query_params.get("week"), today, "week"))
    start, end = scheduling.local_days(first, 7, zone)
    appointments = scheduling.clinician_schedule(session, actor, clinician_id, start=start, end=end)
    tz = scheduling.zone_info(zone)
    days = []
    for i in range(7):
        day = first + timedelta(days=i)
        days.append(
            {
                "day": day,
                "hours": [h for h in view.hours if h.weekday == day.weekday()],
                "away": [
                    e
                    for e in view.exceptions
                    if e.starts_at.astimezone(tz).date()
                    <= day
                    <= (e.ends_at - timedelta(seconds=1)).astimezone(tz).date()
                ],
                "appointments": [
                    a for a in appointments if a.appointment.starts_at.astimezone(tz).date() == day
                ],
            }
        )
    booked = [a for a in appointments if a.appointment.status == AppointmentStatus.BOOKED]
    return {
        "calendar": view,
        "zone": zone,
        "first": first,
        "today": today,
        "days": days,
        "booked_count": len(booked),
        "booked_minutes": sum(
            int((a.appointment.ends_at - a.appointment.starts_at).total_seconds() // 60) for a in booked
        ),
        "prev_week": (first - timedelta(days=7)).isoformat(),
        "next_week": (first + timedelta(days=7)).isoformat(),
        "own": actor.id == clinician_id,
    }


@router.get("/clinician/calendar", response_class=HTMLResponse)
def my_week(request: Request, user: CurrentClinician, session: SessionDep, settings: SettingsDep) -> Response:
    return render(request, "scheduling/week.html", _week_context(request, session, user, settings, user.id))


@router.get("/clinic/calendars/{clinician_id}/week", response_class=HTMLResponse)
def clinician_week(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request, "scheduling/week.html", _week_context(request, session, user, settings, clinician_id)
    )


@router.get("/clinic/calendars", response_class=HTMLResponse)
def calendars_index(
    request: Request, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    if user.role == Role.CLINICIAN:
        return redirect(f"/clinic/calendars/{user.id}")
    return render(
        request,
        "scheduling/calendars.html",
        {"clinicians": scheduling.calendar_overview(session, user, clinic_zone=settings.clinic_timezone)},
    )


WEEKDAY_NAMES = scheduling.WEEKDAYS
BLOCKS_PER_DAY = 3


def _settings_page(
    request: Request,
    session: Session,
    actor: User,
    settings: Settings,
    clinician_id: uuid.UUID,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
    message: str | None = None,
    clashes: list[scheduling.AppointmentView] | None = None,
) -> Response:
    view = scheduling.calendar_for(session, actor, clinician_id, clinic_zone=settings.clinic_timezone)
    by_day: dict[int, list[Any]] = defaultdict(list)
    for h in view.hours:
        by_day[h.weekday].append(h)
    rows = [
        (i, name, [*by_day.get(i, []), *[None] * (BLOCKS_PER_DAY - len(by_day.get(i, [])))][:BLOCKS_PER_DAY])
        for i, name in enumerate(WEEKDAY_NAMES)
    ]
    return render(
        request,
        "scheduling/calendar_settings.html",
        {
            "calendar": view,
            "rows": rows,
            "modes": list(AvailabilityMode),
            "kinds": list(ExceptionKind),
            "zones": ZONES,
            "errors": errors or [],
            "message": message,
            "clashes": clashes or [],
            "zone": view.calendar.timezone,
            "types": [
                t for t in catalogue().types.values() if str(view.clinician.discipline) in t.disciplines
            ],
        },
        status_code=status_code,
    )


@router.get("/clinic/calendars/{clinician_id}", response_class=HTMLResponse)
def calendar_settings(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    message = {
        "hours": "Working hours saved.",
        "settings": "Settings saved.",
        "removed": "Time off removed.",
    }.get(request.query_params.get("saved", ""))
    return _settings_page(request, session, user, settings, clinician_id, message=message)


def _parse_time(value: str, label: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{label}: {value!r} is not a time such as 09:00.", field="hours") from exc


@router.post("/clinic/calendars/{clinician_id}/hours", response_class=HTMLResponse)
async def save_hours(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    raw = await request.form()
    if raw.get("hours_form") != "1":
        raise InvalidInput("This form is missing its fields; reload the page and try again.", field="hours")
    blocks = []
    try:
        for weekday, name in enumerate(WEEKDAY_NAMES):
            for i in range(BLOCKS_PER_DAY):
                starts = str(raw.get(f"h{weekday}_{i}_starts") or "").strip()
                ends = str(raw.get(f"h{weekday}_{i}_ends") or "").strip()
                if not starts and not ends:
                    continue
                if not starts or not ends:
                    raise InvalidInput(f"{name}: give both a start and an end time.", field="hours")
                mode_value = str(raw.get(f"h{weekday}_{i}_mode") or "either")
                if mode_value not in {m.value for m in AvailabilityMode}:
                    raise InvalidInput(f"{name}: choose how patients are seen.", field="hours")
                blocks.append(
                    scheduling.HoursBlock(
                        weekday,
                        _parse_time(starts, name),
                        _parse_time(ends, name),
                        AvailabilityMode(mode_value),
                    )
                )
        scheduling.update_calendar(
            session, user, clinician_id, clinic_zone=settings.clinic_timezone, hours=blocks
        )
    except InvalidInput as exc:
        return _settings_page(
            request, session, user, settings, clinician_id, errors=[exc.message], status_code=422
        )
    return redirect(f"/clinic/calendars/{clinician_id}?saved=hours")


@router.post("/clinic/calendars/{clinician_id}/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    clinician_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    timezone: Annotated[str, Form(max_length=64)],
    location: Annotated[str, Form(max_length=200)] = "",
    accepts_online_booking: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    try:
        scheduling.update_calendar(
            session,
            user,
            clinician_id,
            clinic_zone=settings.clinic_timezone,
            timezone=timezone,
            location=location,
            accepts_online_booking=accepts_online_booking == "yes",
        )
    except InvalidInput as exc:
        return _settings_page(
            request, session, user, settings, clinician_id, errors=[exc.message], status_code=422
        )
    return redirect(f"/clinic/calendars/{clinician_id}?saved=settings")


@router.post("/clinic/calendars/{clinician_id}/exceptions", response_class=HTMLResponse)
def add_exception(
    request: Request,
    clinician_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    kind: Annotated[str, Form(max_length=16)],
    first_day: Annotated[str, Form(max_length=10)],
    last_day: Annotated[str, Form(max_length=10)] = "",
    starts: Annotated[str, Form(max_length=5)] = "",
    ends: Annotated[str, Form(max_length=5)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        if kind not in {k.value for k in ExceptionKind}:
            raise InvalidInput("Choose what kind of time off this is.", field="kind")
        first = _parse_date(first_day, date.today(), "first day")
        added = scheduling.add_exception(
            session,
            user,
            clinician_id,
            kind=ExceptionKind(kind),
            first_day=first,
            last_day=_parse_date(last_day, first, "last day"),
            starts=_parse_time(starts, "from") if starts else None,
            ends=_parse_time(ends, "until") if ends else None,
            note=note,
            clinic_zone=settings.clinic_timezone,
        )
    except InvalidInput as exc:
        return _settings_page(
            request, session, user, settings, clinician_id, errors=[exc.message], status_code=422
        )
    return _settings_page(
        request,
        session,
        user,
        settings,
        clinician_id,
        message="Time off saved. No new bookings can fall in it.",
        clashes=added.clashes,
    )


@router.post("/clinic/calendars/{clinician_id}/exceptions/{exception_id}/delete", response_class=HTMLResponse)
def remove_exception(
    clinician_id: uuid.UUID,
    exception_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    confirm: Annotated[str, Form(pattern="^yes$")],
) -> Response:
    scheduling.remove_exception(session, user, clinician_id, exception_id)
    return redirect(f"/clinic/calendars/{clinician_id}?saved=removed")


@router.get("/clinic/schedule", response_class=HTMLResponse)
def clinic_schedule(
    request: Request, user: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> Response:
    zone = settings.clinic_timezone
    today = scheduling.today_in(zone)
    day = _parse_date(request.query_params.get("day"), today, "day")
    start, end = scheduling.local_days(day, 1, zone)
    views = scheduling.clinic_schedule(session, user, start=start, end=end)
    clinicians = scheduling.calendar_overview(session, user, clinic_zone=zone, day=day)
    by_clinician: dict[uuid.UUID, list[scheduling.AppointmentView]] = defaultdict(list)
    for v in views:
        by_clinician[v.appointment.clinician_id].append(v)
    return render(
        request,
        "scheduling/clinic.html",
        {
            "day": day,
            "zone": zone,
            "rows": [(c, by_clinician.get(c.clinician.id, [])) for c in clinicians],
            "prev_day": (day - timedelta(days=1)).isoformat(),
            "next_day": (day + timedelta(days=1)).isoformat(),
            "total": sum(1 for v in views if v.appointment.status != AppointmentStatus.CANCELLED),
        },
    )


@router.get("/clinic/appointments/{appointment_id}", response_class=HTMLResponse)
def staff_appointment(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    view = scheduling.get_appointment(session, user, appointment_id)
    context = _appointment_context(session, user, settings, view)
    return render(
        request,
        "scheduling/staff_appointment.html",
        {**context, "history": scheduling.history(session, view.appointment), "now": utcnow()},
    )


@router.post("/clinic/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
def staff_cancel(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    confirm: Annotated[str, Form(pattern="^yes$")],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        scheduling.cancel(session, user, settings, appointment_id, reason=reason)
    except (Conflict, Forbidden) as exc:
        view = scheduling.get_appointment(session, user, appointment_id)
        context = _appointment_context(session, user, settings, view)
        return render(
            request,
            "scheduling/staff_appointment.html",
            {
                **context,
                "history": scheduling.history(session, view.appointment),
                "now": utcnow(),
                "errors": [exc.message],
            },
            status_code=status_for(exc),
        )
    return redirect(f"/clinic/appointments/{appointment_id}?cancelled=1")


@router.post("/clinic/appointments/{appointment_id}/mark", response_class=HTMLResponse)
def staff_mark(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[str, Form(pattern="^(completed|no_show)$")],
) -> Response:
    try:
        scheduling.mark(session, user, appointment_id, AppointmentStatus(status))
    except (Conflict, Forbidden) as exc:
        view = scheduling.get_appointment(session, user, appointment_id)
        context = _appointment_context(session, user, settings, view)
        return render(
            request,
            "scheduling/staff_appointment.html",
            {
                **context,
                "history": scheduling.history(session, view.appointment),
                "now": utcnow(),
                "errors": [exc.message],
            },
            status_code=status_for(exc),
        )
    return redirect(f"/clinic/appointments/{appointment_id}?marked=1")


# --- the private calendar feed (public address, secret token) -------------------------------------------


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    if len(token) > 100:
        raise NotFound("No such calendar.")
    body = scheduling.feed_calendar(session, settings, token)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
    )


# --- home-page panels ------------------------------------------------------------------------------------


@panels.patient_home_panel
def _patient_reminders(session: Session, user: User, patient: Patient) -> panels.Panel:
    now = utcnow()
    home = scheduling.home_reminders(session, patient, now=now)
    soon = (
        scheduling.when_words(home.next_appointment.appointment.starts_at, patient.timezone, now)
        if home.next_appointment
        else ""
    )
    return panels.Panel(
        title="Appointments and reminders",
        template="scheduling/_patient_panel.html",
        context={"home": home, "zone": patient.timezone, "soon": soon},
        order=2,
    )


@panels.clinician_patient_panel
def _patient_appointments(session: Session, user: User, patient: Patient) -> panels.Panel:
    views = scheduling.appointments_for(session, patient, start=utcnow() - timedelta(days=90))
    return panels.Panel(
        title="Appointments",
        template="scheduling/_clinician_patient_panel.html",
        context={"views": views[-12:], "now": utcnow(), "zone": patient.timezone},
        order=30,
    )


@panels.clinician_home_panel
def _today(session: Session, user: User) -> panels.Panel | None:
    zone = scheduling.calendar_zone(session, user.id, get_settings().clinic_timezone)
    start, end = scheduling.local_days(scheduling.today_in(zone), 1, zone)
    views = [
        v
        for v in scheduling.clinician_schedule(session, user, user.id, start=start, end=end)
        if v.appointment.status != AppointmentStatus.CANCELLED
    ]
    return panels.Panel(
        title="Today's appointments",
        template="scheduling/_clinician_today_panel.html",
        context={"views": views, "zone": zone},
        order=15,
    )
