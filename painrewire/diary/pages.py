"""Pages: the patient's quick daily diary and its history; the reminder when today's entry is missing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.diary import service as diary
from painrewire.diary.progress import progress_for
from painrewire.diary.schemas import DiaryEntryWrite, trigger_labels
from painrewire.errors import InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.web import panels
from painrewire.web.deps import CurrentPatientUser, SessionDep
from painrewire.web.errors import readable_pydantic_errors
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
    practice = diary.practice_by_day(session, patient, start=start, end=end)
    return {
        "progress": progress_for(session, patient),
        "day": day,
        "today": diary.local_today(patient),
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
    today = diary.local_today(patient)
    chosen = diary.check_diary_day(patient, day, today=today) if day is not None else today
    form = _form_of(diary.entry_for_day(session, patient, chosen))
    return render(request, "diary/diary.html", _context(session, patient, chosen, form, []))


@router.post("/patient/diary", response_class=HTMLResponse)
async def save(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="diary_entry")
    form: dict[str, Any] = {k: raw.get(k) for k in raw if k != "triggers"}
    form["triggers"] = [str(t) for t in raw.getlist("triggers")]
    try:
        day = date.fromisoformat(str(raw.get("day") or diary.local_today(patient).isoformat()))
    except ValueError:
        day = diary.local_today(patient)
        return render(
            request,
            "diary/diary.html",
            _context(session, patient, day, form, ["day: not a date"]),
            status_code=422,
        )
    try:
        data = DiaryEntryWrite.model_validate(
            {
                **{name: raw.get(name) or None for name, *_ in SCALES},
                "activity_minutes": raw.get("activity_minutes") or 0,
                "triggers": form["triggers"],
                "note": raw.get("note") or "",
            }
        )
        diary.save_entry(session, user, patient.id, day, data)
    except ValidationError as exc:
        context = _context(session, patient, day, form, readable_pydantic_errors(exc))
        return render(request, "diary/diary.html", context, status_code=422)
    except InvalidInput as exc:
        return render(
            request, "diary/diary.html", _context(session, patient, day, form, [exc.message]), status_code=422
        )
    return redirect(f"/patient/diary?saved={day.isoformat()}")


@panels.patient_home_panel
def _reminder(session: Session, user: User, patient: Patient) -> panels.Panel:
    today = diary.local_today(patient)
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
