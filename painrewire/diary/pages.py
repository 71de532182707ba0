"""Pages: the patient's quick daily diary and its history; the reminder when today's entry is missing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentPatientUser
from painrewire.accounts.models import Role, User
from painrewire.diary import service as diary
from painrewire.diary.progress import progress_for
from painrewire.diary.schemas import DiaryEntryWrite, trigger_labels
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/diary", "Diary")

SCALES = [
    ("average_pain", "Average pain over the last 24 hours", "no pain", "worst imaginable"),
    ("pain_now", "Pain right now", "no pain", "worst imaginable"),
    ("interference", "How much pain got in the way today", "not at all", "completely"),
    ("mood", "Mood today", "very low", "very good"),
    ("sleep_quality", "Last night's sleep", "very poor", "very good"),
]


def _context(
    session: Session, patient: Patient, day: date, form: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    start, end = diary.recent_window(patient, 14)
    entries = diary.entries_for(session, patient, start=start, end=end)
    practice = practice_log.practice_by_day(session, patient, start=start, end=end)
    return {
        "progress": progress_for(session, patient),
        "day": day,
        "today": patient.local_today(),
        "form": form,
        "errors": errors,
        "scales": SCALES,
        "triggers": trigger_labels(),
        "recent": list(reversed(entries)),
        "practice": practice,
        "day_practice": practice.get(day, []),
    }


def _form_of(entry: Any) -> dict[str, Any]:
    if entry is None:
        return {}
    return {**{f: getattr(entry, f) for f in diary.FIELDS}, "triggers": list(entry.triggers)}


@router.get("/patient/diary", response_class=HTMLResponse)
def diary_page(
    request: Request, user: CurrentPatientUser, session: SessionDep, day: date | None = None
) -> Response:
    patient = access.own_patient(session, user, resource_type="diary_entry")
    today = patient.local_today()
    chosen = diary.check_diary_day(patient, day, today=today) if day is not None else today
    form = _form_of(diary.entry_for_day(session, patient, chosen))
    return render(request, "diary/diary.html", _context(session, patient, chosen, form, []))


def _sent_day(value: object) -> date | None:
    """The day the form was for; none sent is the patient's today."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput("day: not a date", field="day") from exc


def _diary_again(refused: Refused) -> dict[str, Any]:
    user = refused.session.get(User, refused.user_id)
    if user is None:  # the account went while the form was posted
        raise InvalidInput("Please log in again.")
    patient = access.own_patient(refused.session, user, resource_type="diary_entry")
    try:
        day = _sent_day(refused.form.get("day")) or diary.local_today(patient)
    except InvalidInput:
        day = patient.local_today()
    form: dict[str, Any] = {**refused.form, "triggers": refused.lists.get("triggers", [])}
    return _context(refused.session, patient, day, form, refused.errors)


@router.post(
    "/patient/diary",
    response_class=HTMLResponse,
    dependencies=[refusal_page("diary/diary.html", _diary_again)],
)
def save(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    day = _sent_day(raw.get("day"))
    data = DiaryEntryWrite.model_validate(
        {
            **{name: raw.get(name) or None for name, *_ in SCALES},
            "activity_minutes": raw.get("activity_minutes") or 0,
            "triggers": [str(t) for t in raw.getlist("triggers")],
            "note": raw.get("note") or "",
        }
    )
    # The service checks the access and audits it: one access, one audit row.
    entry = diary.save_entry(session, user, access.own_patient_id(session, user), day, data)
    return redirect(f"/patient/diary?saved={entry.day.isoformat()}")


@panels.patient_home_panel
def _reminder(session: Session, user: User, patient: Patient) -> panels.Panel:
    today = patient.local_today()
    entry = diary.entry_for_day(session, patient, today)
    week = diary.entries_for(session, patient, start=today - timedelta(days=6), end=today)
    return panels.Panel(
        title="Today's diary",
        template="diary/_reminder_panel.html",
        context={"entry": entry, "days_this_week": len(week)},
        order=5,
    )


@panels.clinician_patient_panel
def _clinician_progress(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="Pain diary and outcome",
        template="diary/_clinician_panel.html",
        context={"progress": progress_for(session, patient)},
        order=20,
    )
