"""Pages: the public "Book now" flow (with sign-up), the patient's appointments and feed, the PRT course in one
step, clinicians' week views and calendar settings, and the front desk's view of the clinic.

A refused action is not caught here: each route names the page to show again (``refusal_page``) and lets the
error propagate, so the request rolls back and keeps nothing of the attempt, audit rows included.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
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
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.patients.schemas import SignUp
from painrewire.scheduling import forms
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import SlotTaken
from painrewire.scheduling.models import AppointmentStatus, AvailabilityMode, ExceptionKind
from painrewire.web.deps import SessionDep, SettingsDep, client_address, get_settings_dep
from painrewire.web.refusals import Refused, refusal_page
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


def _viewer(refused: Refused) -> User | None:
    """Who was logged in when the refused request came (None for a visitor)."""
    return refused.session.get(User, refused.user_id) if refused.user_id is not None else None


def _logged_in(refused: Refused) -> User:
    user = _viewer(refused)
    if user is None:  # the account went while the form was posted
        raise InvalidInput("Please log in again.")
    return user


def _sent(refused: Refused) -> Mapping[str, str]:
    """What the refused request sent: its form, or the address's query for a page that was only read."""
    return refused.form or dict(refused.request.query_params)


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


def _chosen_clinician(session: Session, clinician_id: uuid.UUID | None) -> User | None:
    """The clinician someone came to book with (from the list of clinicians), before choosing what to book."""
    if clinician_id is None:
        return None
    found = session.get(User, clinician_id)
    if found is None or found.role != Role.CLINICIAN or not found.is_active:
        raise InvalidInput("clinician: not a valid choice.", field="clinician")
    return found


def _book_basics(user: User | None, zone: str) -> dict[str, Any]:
    return {
        "zone": zone,
        "zones": ZONES,
        "groups": _grouped_types(_types_for(user)),
        "chosen": None,
        "kind": None,
        "is_patient": user is not None and user.role == Role.PATIENT,
        "is_staff": user is not None and user.role != Role.PATIENT,
        "course": catalogue().course,
    }


def _book_context(
    session: Session, user: User | None, settings: Settings, search: forms.SlotSearch
) -> dict[str, Any]:
    zone = _display_zone(session, user, settings, search.tz)
    types = _types_for(user)
    chosen = None if search.type else _chosen_clinician(session, search.clinician)
    context = _book_basics(user, zone)
    context.update(
        groups=_grouped_types(
            [t for t in types if chosen is None or str(chosen.discipline) in t.disciplines]
        ),
        chosen=chosen,
    )
    if not search.type:
        return context
    kind = scheduling.appointment_type(search.type)
    if kind not in types:
        raise InvalidInput(
            f"{kind.label} is booked by patients already in our care. Please log in, or book an initial assessment.",
            field="type",
        )
    clinician_id, mode = search.clinician, search.mode
    today = scheduling.today_in(zone)
    horizon = today + timedelta(weeks=catalogue().booking.horizon_weeks)
    first = min(max(search.week or today, today), horizon)
    days = 7
    start, end = scheduling.local_days(first, days, zone)
    patient = scheduling.searching_patient(session, user)
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


def _book_again(refused: Refused) -> dict[str, Any]:
    """The list of appointment types, in the clinic's zone, beside what could not be searched."""
    return _book_basics(_viewer(refused), get_settings_dep(refused.request).clinic_timezone)


@router.get(
    "/book", response_class=HTMLResponse, dependencies=[refusal_page("scheduling/book.html", _book_again)]
)
def book_page(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    search = forms.SlotSearch.model_validate(dict(request.query_params))
    return render(request, "scheduling/book.html", _book_context(session, user, settings, search))


def _confirm_context(
    session: Session, user: User | None, settings: Settings, values: Mapping[str, str]
) -> dict[str, Any]:
    """What the confirmation step shows; raises a domain error when the choice is not bookable."""
    choice = forms.SlotChoice.model_validate(values)
    kind = scheduling.appointment_type(choice.type)
    if kind not in _types_for(user):
        raise InvalidInput(
            f"{kind.label} is booked by patients already in our care; please log in.", field="type"
        )
    assert choice.clinician is not None  # the form refuses a choice without one
    zone = _display_zone(session, user, settings, choice.tz)
    patient = scheduling.searching_patient(session, user)
    slot = scheduling.free_slot(
        session,
        kind=kind,
        clinician_id=choice.clinician,
        starts_at=scheduling.aware(choice.start, "start"),
        clinic_zone=settings.clinic_timezone,
        patient_id=patient.id if patient else None,
    )
    modes = [m for m in kind.modes if slot.mode in (AvailabilityMode.EITHER, m)]
    kept = _slot_values(values)
    return {
        "kind": kind,
        "slot": slot,
        "zone": zone,
        "clinic_zone": settings.clinic_timezone,
        "modes": modes,
        "mode": choice.mode or modes[0],
        "values": kept,
        "is_patient": patient is not None,
        "is_staff": user is not None and user.role != Role.PATIENT,
        "on_team": patient is not None
        and access.is_on_care_team(session, _user(session, slot.clinician_id), patient.id),
        "back_href": "/book?"
        + urlencode(
            {
                "type": kind.key,
                "clinician": str(choice.clinician),
                "tz": zone,
                "week": _local(slot.starts_at, zone, "%Y-%m-%d"),
            }
        ),
        "login_href": "/login?" + urlencode({"next": "/book/confirm?" + urlencode(kept)}),
        "form": {"timezone": zone},
    }


def _user(session: Session, user_id: uuid.UUID) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFound("No such clinician.")
    return found


def _slot_values(source: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(source.get(k)) for k in ("type", "clinician", "start", "mode", "tz") if source.get(k)}


def _unavailable_context(values: Mapping[str, str], errors: list[str]) -> dict[str, Any]:
    """The "That time is not available" answer, with a way back to the week of times."""
    kept: dict[str, str] = {k: values[k] for k in ("type", "tz") if values.get(k)}
    back = "/book?" + urlencode(kept) if "type" in kept else "/book"
    return {"unavailable": True, "message": " ".join(errors), "back_href": back}


def _unavailable_again(refused: Refused) -> dict[str, Any]:
    return _unavailable_context(_sent(refused), refused.errors)


@router.get(
    "/book/confirm",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/unavailable.html", _unavailable_again)],
)
def confirm_page(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    context = _confirm_context(session, user, settings, dict(request.query_params))
    return render(request, "scheduling/confirm.html", context)


def _confirm_again(refused: Refused) -> dict[str, Any]:
    """The confirmation form again with what was typed, or "not available" once the time has gone."""
    sent = _sent(refused)
    if isinstance(refused.error, SlotTaken):
        return _unavailable_context(sent, refused.errors)
    user = _viewer(refused)
    settings = get_settings_dep(refused.request)
    context = _confirm_context(refused.session, user, settings, sent)
    form = {k: sent.get(k, "") for k in ("full_name", "email", "date_of_birth", "timezone", "phone")}
    return {**context, "form": {**form, "timezone": form["timezone"] or context["zone"]}}


@router.post(
    "/book/confirm",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/confirm.html", _confirm_again)],
)
async def confirm(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    raw = await request.form()
    sent = {k: v for k, v in raw.items() if isinstance(v, str)}
    choice = forms.SlotChoice.model_validate(sent)
    assert choice.clinician is not None  # the form refuses a choice without one
    sign_up = None
    if user is None:
        # A newcomer signs up by email first (the same answer whether or not the email has an account);
        # the link brings them back here, logged in, to book this time.
        sign_up = SignUp.model_validate(
            {
                "full_name": sent.get("full_name", ""),
                "email": sent.get("email", ""),
                "password": sent.get("password", ""),
                "date_of_birth": sent.get("date_of_birth") or None,
                "timezone": sent.get("timezone") or _display_zone(session, None, settings, choice.tz),
            }
        )
    outcome = scheduling.sign_up_and_book(
        session,
        user,
        settings,
        type_key=choice.type,
        clinician_id=choice.clinician,
        starts_at=choice.start,
        mode=choice.mode,
        sign_up=sign_up,
        client=client_address(request),
        next_path="/book/confirm?" + urlencode(_slot_values(sent)),
    )
    if isinstance(outcome, scheduling.SignUpSent):
        return render(request, "patients/signup_sent.html", {"message": outcome.message, "booking": True})
    joined = "&joined=1" if outcome.joined_care_team else ""
    return redirect(f"/book/appointments/{outcome.appointment.id}?booked=1{joined}")


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
    session: Session, user: User, settings: Settings, view: scheduling.AppointmentView, week: date | None
) -> dict[str, Any]:
    context = _appointment_context(session, user, settings, view)
    zone = context["zone"]
    appointment = view.appointment
    today = scheduling.today_in(zone)
    first = max(week or today, today)
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
        movable=True,
        first=first,
        days=_days_with_slots(
            [s for s in result.slots if s.starts_at != appointment.starts_at], first, 7, zone
        ),
        prev_href=base + (first - timedelta(days=7)).isoformat() if first > today else None,
        next_href=base + (first + timedelta(days=7)).isoformat(),
    )
    return context


def _appointment_id(refused: Refused) -> uuid.UUID:
    try:
        return uuid.UUID(str(refused.path.get("appointment_id")))
    except ValueError:
        raise NotFound(scheduling.NOT_FOUND) from None


def _appointment_again(refused: Refused) -> dict[str, Any]:
    """The appointment's page again, with why the change was refused."""
    user = _logged_in(refused)
    settings = get_settings_dep(refused.request)
    view = scheduling.get_appointment(refused.session, user, _appointment_id(refused))
    return _appointment_context(refused.session, user, settings, view)


@router.get(
    "/book/appointments/{appointment_id}/reschedule",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/appointment.html", _appointment_again)],
)
def reschedule_page(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    asked = forms.WeekQuery.model_validate(dict(request.query_params))
    view = scheduling.get_appointment(session, user, appointment_id)
    context = _appointment_context(session, user, settings, view)
    if not context["is_open"]:
        return render(request, "scheduling/appointment.html", {**context, "closed": True}, status_code=409)
    if not context["can_change"]:
        return render(request, "scheduling/appointment.html", {**context, "too_late": True}, status_code=409)
    context = _reschedule_context(session, user, settings, view, asked.week)
    return render(request, "scheduling/reschedule.html", context)


def _reschedule_again(refused: Refused) -> dict[str, Any]:
    """The free times again when the appointment can still be moved; otherwise only why it cannot."""
    user = _logged_in(refused)
    settings = get_settings_dep(refused.request)
    view = scheduling.get_appointment(refused.session, user, _appointment_id(refused))
    context = _appointment_context(refused.session, user, settings, view)
    if context["is_open"] and context["can_change"]:
        return _reschedule_context(refused.session, user, settings, view, None)
    return {**context, "movable": False}


@router.post(
    "/book/appointments/{appointment_id}/reschedule",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/reschedule.html", _reschedule_again)],
)
async def reschedule(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    move = forms.Reschedule.model_validate(await request.form())
    scheduling.reschedule(session, user, settings, appointment_id, starts_at=move.start)
    return redirect(f"/book/appointments/{appointment_id}?moved=1")


@router.post(
    "/book/appointments/{appointment_id}/cancel",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/appointment.html", _appointment_again)],
)
async def cancel(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    cancellation = forms.Cancellation.model_validate(await request.form())
    scheduling.cancel(session, user, settings, appointment_id, reason=cancellation.reason)
    return redirect(f"/book/appointments/{appointment_id}?cancelled=1")


# --- the PRT course in one step --------------------------------------------------------------------------


def _course_context(
    session: Session, user: User, settings: Settings, search: forms.CourseSearch
) -> dict[str, Any]:
    zone = scheduling.viewer_zone(session, user, settings)
    clinic_today = scheduling.today_in(settings.clinic_timezone)
    next_monday = _week_start(clinic_today) + timedelta(days=7)
    first_day = search.first_day or next_monday
    if first_day < clinic_today:
        raise InvalidInput("The first week cannot start in the past.", field="first_day")
    kind = scheduling.appointment_type(catalogue().course.appointment_type)
    found = scheduling.find_course(
        session, user, settings, first_day=first_day, clinician_id=search.clinician, mode=search.mode
    )
    return {
        "kind": kind,
        "rules": catalogue().course,
        "zone": zone,
        "first_day": first_day,
        "clinician_id": search.clinician,
        "mode": search.mode,
        "clinicians": scheduling.bookable_clinicians(session, kind, clinic_zone=settings.clinic_timezone),
        "weeks": [
            next_monday + timedelta(days=7 * i)
            for i in range(-1, 8)
            if next_monday + timedelta(days=7 * i) >= clinic_today
        ],
        "proposal": None if isinstance(found, scheduling.NoCourse) else found,
        "no_fit": found.message if isinstance(found, scheduling.NoCourse) else None,
    }


def _course_again(refused: Refused) -> dict[str, Any]:
    """The course page for the week asked for when it can be searched, else for next week."""
    user = _logged_in(refused)
    settings = get_settings_dep(refused.request)
    field = getattr(refused.error, "field", None)
    search = forms.CourseSearch()
    if refused.error is not None and field not in ("first_day", "clinician", "mode"):
        search = forms.CourseSearch.model_validate(_sent(refused))
    return _course_context(refused.session, user, settings, search)


@router.get(
    "/book/course",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/course.html", _course_again)],
)
def course_page(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    search = forms.CourseSearch.model_validate(dict(request.query_params))
    return render(request, "scheduling/course.html", _course_context(session, user, settings, search))


@router.post(
    "/book/course",
    response_class=HTMLResponse,
    dependencies=[refusal_page("scheduling/course.html", _course_again)],
)
async def book_course(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    raw = await request.form()
    course = forms.CourseBooking.model_validate(
        {**{k: v for k, v in raw.items() if k != "starts"}, "starts": raw.getlist("starts")}
    )
    assert course.clinician is not None  # the form refuses a course without one
    bookings = scheduling.book_course(
        session,
        user,
        settings,
        clinician_id=course.clinician,
        first_day=course.first_day or date.today(),
        starts=course.starts,
        mode=course.mode,
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
    session: Session, actor: User, settings: Settings, clinician_id: uuid.UUID, week: date | None
) -> dict[str, Any]:
    view = scheduling.calendar_for(session, actor, clinician_id, clinic_zone=settings.clinic_timezone)
    zone = view.calendar.timezone
    today = scheduling.today_in(zone)
    first = _week_start(week or today)
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


WeekAsked = Annotated[forms.WeekQuery, Query()]


@router.get("/clinician/calendar", response_class=HTMLResponse)
def my_week(
    request: Request, asked: WeekAsked, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(
        request, "scheduling/week.html", _week_context(session, user, settings, user.id, asked.week)
    )


@router.get("/clinic/calendars/{clinician_id}/week", response_class=HTMLResponse)
def clinician_week(
    request: Request,
    clinician_id: uuid.UUID,
    asked: WeekAsked,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return render(
        request, "scheduling/week.html", _week_context(session, user, settings, clinician_id, asked.week)
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


def _settings_context(
    session: Session,
    actor: User,
    settings: Settings,
    clinician_id: uuid.UUID,
    *,
    message: str | None = None,
    clashes: list[scheduling.AppointmentView] | None = None,
) -> dict[str, Any]:
    view = scheduling.calendar_for(session, actor, clinician_id, clinic_zone=settings.clinic_timezone)
    by_day: dict[int, list[Any]] = defaultdict(list)
    for h in view.hours:
        by_day[h.weekday].append(h)
    per_day = forms.BLOCKS_PER_DAY
    rows = [
        (i, name, [*by_day.get(i, []), *[None] * (per_day - len(by_day.get(i, [])))][:per_day])
        for i, name in enumerate(scheduling.WEEKDAYS)
    ]
    return {
        "calendar": view,
        "rows": rows,
        "modes": list(AvailabilityMode),
        "kinds": list(ExceptionKind),
        "zones": ZONES,
        "message": message,
        "clashes": clashes or [],
        "zone": view.calendar.timezone,
        "types": [t for t in catalogue().types.values() if str(view.clinician.discipline) in t.disciplines],
    }


def _clinician_id(refused: Refused) -> uuid.UUID:
    try:
        return uuid.UUID(str(refused.path.get("clinician_id")))
    except ValueError:
        raise NotFound("No such clinician.") from None


def _settings_again(refused: Refused) -> dict[str, Any]:
    """The calendar's settings page as stored, beside why the change was refused."""
    settings = get_settings_dep(refused.request)
    return _settings_context(refused.session, _logged_in(refused), settings, _clinician_id(refused))


SETTINGS_PAGE = refusal_page("scheduling/calendar_settings.html", _settings_again)


@router.get("/clinic/calendars/{clinician_id}", response_class=HTMLResponse)
def calendar_settings(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    message = {
        "hours": "Working hours saved.",
        "settings": "Settings saved.",
        "removed": "Time off removed.",
    }.get(request.query_params.get("saved", ""))
    context = _settings_context(session, user, settings, clinician_id, message=message)
    return render(request, "scheduling/calendar_settings.html", context)


@router.post(
    "/clinic/calendars/{clinician_id}/hours", response_class=HTMLResponse, dependencies=[SETTINGS_PAGE]
)
async def save_hours(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    hours = forms.WeeklyHours.model_validate(dict(await request.form()))
    blocks = [scheduling.HoursBlock(b.weekday, b.starts, b.ends, b.mode) for b in hours.blocks]
    scheduling.update_calendar(
        session, user, clinician_id, clinic_zone=settings.clinic_timezone, hours=blocks
    )
    return redirect(f"/clinic/calendars/{clinician_id}?saved=hours")


@router.post(
    "/clinic/calendars/{clinician_id}/settings", response_class=HTMLResponse, dependencies=[SETTINGS_PAGE]
)
async def save_settings(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    changed = forms.CalendarSettings.model_validate(await request.form())
    scheduling.update_calendar(
        session,
        user,
        clinician_id,
        clinic_zone=settings.clinic_timezone,
        timezone=changed.timezone,
        location=changed.location,
        accepts_online_booking=changed.accepts_online_booking == "yes",
    )
    return redirect(f"/clinic/calendars/{clinician_id}?saved=settings")


@router.post(
    "/clinic/calendars/{clinician_id}/exceptions", response_class=HTMLResponse, dependencies=[SETTINGS_PAGE]
)
async def add_exception(
    request: Request, clinician_id: uuid.UUID, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    time_off = forms.TimeOff.model_validate(await request.form())
    first = time_off.first_day or date.today()
    added = scheduling.add_exception(
        session,
        user,
        clinician_id,
        kind=time_off.kind,
        first_day=first,
        last_day=time_off.last_day or first,
        starts=time_off.starts,
        ends=time_off.ends,
        note=time_off.note,
        clinic_zone=settings.clinic_timezone,
    )
    context = _settings_context(
        session,
        user,
        settings,
        clinician_id,
        message="Time off saved. No new bookings can fall in it.",
        clashes=added.clashes,
    )
    return render(request, "scheduling/calendar_settings.html", context)


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
    request: Request, asked: WeekAsked, user: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> Response:
    zone = settings.clinic_timezone
    today = scheduling.today_in(zone)
    day = asked.day or today
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
    context = _staff_appointment_context(session, user, settings, appointment_id)
    return render(request, "scheduling/staff_appointment.html", context)


def _staff_appointment_context(
    session: Session, user: User, settings: Settings, appointment_id: uuid.UUID
) -> dict[str, Any]:
    view = scheduling.get_appointment(session, user, appointment_id)
    context = _appointment_context(session, user, settings, view)
    return {**context, "history": scheduling.history(session, view.appointment), "now": utcnow()}


def _staff_appointment_again(refused: Refused) -> dict[str, Any]:
    settings = get_settings_dep(refused.request)
    return _staff_appointment_context(
        refused.session, _logged_in(refused), settings, _appointment_id(refused)
    )


STAFF_APPOINTMENT_PAGE = refusal_page("scheduling/staff_appointment.html", _staff_appointment_again)


@router.post(
    "/clinic/appointments/{appointment_id}/cancel",
    response_class=HTMLResponse,
    dependencies=[STAFF_APPOINTMENT_PAGE],
)
async def staff_cancel(
    request: Request,
    appointment_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    cancellation = forms.Cancellation.model_validate(await request.form())
    scheduling.cancel(session, user, settings, appointment_id, reason=cancellation.reason)
    return redirect(f"/clinic/appointments/{appointment_id}?cancelled=1")


@router.post(
    "/clinic/appointments/{appointment_id}/mark",
    response_class=HTMLResponse,
    dependencies=[STAFF_APPOINTMENT_PAGE],
)
def staff_mark(
    appointment_id: uuid.UUID,
    user: CurrentStaff,
    session: SessionDep,
    status: Annotated[str, Form(pattern="^(completed|no_show)$")],
) -> Response:
    scheduling.mark(session, user, appointment_id, AppointmentStatus(status))
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
    now = utcnow()
    views = scheduling.appointments_for(session, patient, start=now - timedelta(days=90))
    # Upcoming first, the soonest first (the next visit is never cut off); then the past, the latest first.
    upcoming = [v for v in views if v.appointment.starts_at >= now]
    past = [v for v in reversed(views) if v.appointment.starts_at < now]
    return panels.Panel(
        title="Appointments",
        template="scheduling/_clinician_patient_panel.html",
        context={
            "upcoming": upcoming[:6],
            "past": past[: max(6, 12 - len(upcoming))],
            "zone": patient.timezone,
        },
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
