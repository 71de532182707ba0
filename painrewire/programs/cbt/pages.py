"""Pages: the patient's thought records, pacing plans and exposure ladder; the clinician's CBT view and panel."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser
from painrewire.accounts.models import Role, User
from painrewire.clearance import gate
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.programs.cbt import charts, trends
from painrewire.programs.cbt import service as cbt
from painrewire.programs.cbt.content import distortion_label, distortions
from painrewire.programs.cbt.forms import Labeller, by_name, labelled_errors
from painrewire.programs.cbt.schemas import (
    ExposureAttemptCreate,
    ExposureItemCreate,
    ExposureRerate,
    PacingActivityCreate,
    PacingWeekLog,
    ThoughtRecordCreate,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/cbt", "CBT")

FEELING_ROWS = 3
#: A thought record takes minutes, not hours: time on the form beyond this is a tab left open, not practice.
MAX_RECORD_MINUTES = 60.0
RECORD_LABELS = {
    "day": "Day",
    "situation": "Situation",
    "automatic_thought": "Automatic thought",
    "distortions": "Thinking traps",
    "evidence_for": "Evidence for the thought",
    "evidence_against": "Evidence against the thought",
    "balanced_thought": "Balanced thought",
}


def _labels() -> dict[str, str]:
    return {d.id: d.label for d in distortions().values()}


def trend_svg(session: Session, patient: Patient, *, chart_id: str) -> tuple[list[trends.WeekCounts], str]:
    weeks = cbt.distortion_trend_for(session, patient)
    svg = charts.distortion_chart(weeks, _labels(), shown=trends.most_common(weeks), chart_id=chart_id)
    return weeks, svg


def _practice(session: Session, patient: Patient) -> gate.PracticeStatus:
    return gate.practice_status(session, patient, Module.CBT)


def _closed(request: Request, what: str, practice: gate.PracticeStatus, status_code: int = 200) -> Response:
    """The page of a practice that is closed: why, and what to do, instead of its form."""
    return render(
        request,
        "programs/practice_closed.html",
        {"what": what, "practice": practice},
        status_code=status_code,
    )


# --- Hub -------------------------------------------------------------------------------------------------------


@router.get("/patient/cbt", response_class=HTMLResponse)
def cbt_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="thought_record")
    records = cbt.thought_records_for(session, patient, limit=3)
    plans = cbt.pacing_plans_for(session, patient)
    ladder = cbt.hierarchy_for(session, patient)
    return render(
        request,
        "cbt/home.html",
        {
            "records": records,
            "plans": plans,
            "ladder": ladder,
            "label": distortion_label,
            "practice": _practice(session, patient),
        },
    )


# --- Thought records -------------------------------------------------------------------------------------------


def _records_context(
    session: Session, patient: Patient, form: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    weeks, svg = trend_svg(session, patient, chart_id="trend-patient")
    return {
        "records": cbt.thought_records_for(session, patient),
        "distortions": list(distortions().values()),
        "label": distortion_label,
        "weeks": weeks,
        "shown": trends.most_common(weeks),
        "trend_svg": svg,
        "form": form,
        "errors": errors,
        "rows": range(1, FEELING_ROWS + 1),
        "today": patient.local_today(),
        "opened_at": int(time.time()),
    }


@router.get("/patient/cbt/thought-records", response_class=HTMLResponse)
def thought_records_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="thought_record")
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, "Thought records", practice)
    return render(request, "cbt/thought_records.html", _records_context(session, patient, {}, []))


def _record_label(feeling_rows: list[int], rerated_rows: list[int]) -> Labeller:
    """Errors in the lists of feelings point at the numbered row the person filled in."""

    def label(loc: tuple[int | str, ...]) -> str:
        if len(loc) >= 2 and loc[0] in ("feelings", "rerated_feelings") and isinstance(loc[1], int):
            rows = rerated_rows if loc[0] == "rerated_feelings" else feeling_rows
            row = rows[loc[1]] if loc[1] < len(rows) else loc[1] + 1
            if loc[0] == "rerated_feelings":
                return f"Re-rated {row} (0-100)" if loc[-1] == "intensity" else f"Feeling {row}"
            return f"Intensity {row} (0-100)" if loc[-1] == "intensity" else f"Feeling {row}"
        if loc and loc[0] == "feelings":
            return "Feeling 1"
        return by_name(RECORD_LABELS)(loc)

    return label


def _minutes_since(opened: str) -> float:
    """Time on the form, from the moment the server rendered it; a missing or odd value counts as none."""
    try:
        started = float(opened)
    except ValueError:
        return 0.0
    return round(min(max((time.time() - started) / 60, 0.0), MAX_RECORD_MINUTES), 1)


@router.post("/patient/cbt/thought-records", response_class=HTMLResponse)
async def save_thought_record(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="thought_record")
    form: dict[str, Any] = {k: str(raw.get(k) or "") for k in raw if k != "distortions"}
    form["distortions"] = [str(d) for d in raw.getlist("distortions")]
    feelings: list[dict[str, Any]] = []
    rerated: list[dict[str, Any]] = []
    feeling_rows: list[int] = []
    rerated_rows: list[int] = []
    for row in range(1, FEELING_ROWS + 1):
        name, strength, after = (
            form.get(f"{k}_{row}", "").strip() for k in ("feeling", "intensity", "rerated")
        )
        if name or strength:
            feelings.append({"feeling": name, "intensity": strength or None})
            feeling_rows.append(row)
        if after:
            rerated.append({"feeling": name, "intensity": after})
            rerated_rows.append(row)
    try:
        data = ThoughtRecordCreate.model_validate(
            {
                "day": form.get("day") or None,
                "situation": form.get("situation", ""),
                "automatic_thought": form.get("automatic_thought", ""),
                "feelings": feelings,
                "distortions": form["distortions"],
                "evidence_for": form.get("evidence_for", ""),
                "evidence_against": form.get("evidence_against", ""),
                "balanced_thought": form.get("balanced_thought", ""),
                "rerated_feelings": rerated,
                "minutes": _minutes_since(form.get("opened_at", "")),
            }
        )
        record = cbt.create_thought_record(session, user, patient.id, data)
    except ValidationError as exc:
        errors = labelled_errors(exc, _record_label(feeling_rows, rerated_rows))
        context = _records_context(session, patient, form, errors)
        return render(request, "cbt/thought_records.html", context, status_code=422)
    except InvalidInput as exc:
        context = _records_context(session, patient, form, [exc.message])
        return render(request, "cbt/thought_records.html", context, status_code=422)
    except gate.PracticeClosed as exc:
        return _closed(request, "Thought records", exc.status, status_code=409)
    return redirect(f"/patient/cbt/thought-records?saved={record.id}#record-{record.id}")


# --- Activity pacing -------------------------------------------------------------------------------------------

MEASURED_DAYS = 5
PACING_LABELS = {
    "name": "Activity",
    "unit": "Counted in",
    "measurements": "Measured days",
    "start_percent": "Start at (% of baseline)",
    "increment_percent": "Add each week (% of baseline)",
    "weeks": "Weeks",
    "starts_on": "First day",
    "goal": "Goal (optional)",
    "actual": "Done on a typical day",
    "week": "Week",
}
UNITS = ["minutes", "metres", "steps", "repetitions", "pages"]


def pacing_charts(plans: list[cbt.PacingPlan]) -> dict[uuid.UUID, str]:
    return {
        p.activity.id: charts.pacing_chart(
            p.weeks,
            unit=p.activity.unit,
            title=f"{p.activity.name}: planned and done",
            chart_id=f"pacing-{p.activity.id.hex[:8]}",
        )
        for p in plans
    }


def _pacing_context(
    session: Session, patient: Patient, form: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    plans = cbt.pacing_plans_for(session, patient)
    return {
        "plans": plans,
        "charts": pacing_charts(plans),
        "form": form,
        "errors": errors,
        "units": UNITS,
        "measured_days": range(1, MEASURED_DAYS + 1),
        "today": patient.local_today(),
        "practice": _practice(session, patient),
    }


def _pacing_page(
    request: Request,
    session: Session,
    patient: Patient,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status_code: int | None = None,
) -> Response:
    return render(
        request,
        "cbt/pacing.html",
        _pacing_context(session, patient, form or {}, errors or {}),
        status_code=status_code or (422 if errors else 200),
    )


@router.get("/patient/cbt/pacing", response_class=HTMLResponse)
def pacing_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="pacing_activity")
    return _pacing_page(request, session, patient)


@router.post("/patient/cbt/pacing", response_class=HTMLResponse)
async def create_pacing(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="pacing_activity")
    form = {k: str(raw.get(k) or "").strip() for k in raw}
    measured = [form.get(f"day_{i}", "") for i in range(1, MEASURED_DAYS + 1)]
    try:
        data = PacingActivityCreate.model_validate(
            {
                "name": form.get("name", ""),
                "unit": form.get("unit_other") or form.get("unit", ""),
                "measurements": [m for m in measured if m],
                "start_percent": form.get("start_percent") or 80,
                "increment_percent": form.get("increment_percent") or 10,
                "weeks": form.get("weeks") or 8,
                "starts_on": form.get("starts_on") or None,
                "goal": form.get("goal") or None,
            }
        )
        activity = cbt.create_pacing_activity(session, user, patient.id, data)
    except ValidationError as exc:
        return _pacing_page(
            request, session, patient, form, {"new": labelled_errors(exc, by_name(PACING_LABELS))}
        )
    except InvalidInput as exc:
        return _pacing_page(request, session, patient, form, {"new": [exc.message]})
    except gate.PracticeClosed:
        return _pacing_page(request, session, patient, form, status_code=409)
    return redirect(f"/patient/cbt/pacing?saved={activity.id}#activity-{activity.id}")


@router.post("/patient/cbt/pacing/{activity_id}/weeks", response_class=HTMLResponse)
async def log_pacing(
    activity_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="pacing_activity")
    form = {k: str(raw.get(k) or "").strip() for k in raw}
    key = str(activity_id)
    try:
        week = int(form.get("week", ""))
    except ValueError:
        return _pacing_page(request, session, patient, form, {key: ["Week: choose a week of the plan."]})
    try:
        data = PacingWeekLog.model_validate({"actual": form.get("actual") or None})
        cbt.log_pacing_week(session, user, patient.id, activity_id, week, data.actual)
    except ValidationError as exc:
        return _pacing_page(
            request, session, patient, form, {key: labelled_errors(exc, by_name(PACING_LABELS))}
        )
    except InvalidInput as exc:
        return _pacing_page(request, session, patient, form, {key: [exc.message]})
    except gate.PracticeClosed:
        return _pacing_page(request, session, patient, form, status_code=409)
    return redirect(f"/patient/cbt/pacing?logged={activity_id}#activity-{activity_id}")


# --- Graded exposure -------------------------------------------------------------------------------------------

EXPOSURE_LABELS = {
    "movement": "Movement",
    "fear_rating": "How frightening it feels (0-100)",
    "notes": "Notes",
    "predicted_fear": "Fear I expect (0-100)",
    "actual_fear": "Fear I felt (0-100)",
    "minutes": "Minutes",
    "note": "What I noticed",
}


def _exposure_page(
    request: Request,
    session: Session,
    patient: Patient,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status_code: int | None = None,
) -> Response:
    ladder = cbt.hierarchy_for(session, patient)
    return render(
        request,
        "cbt/exposure.html",
        {
            "ladder": ladder,
            "chart": charts.exposure_chart(ladder.gaps, chart_id="exposure-patient"),
            "form": form or {},
            "errors": errors or {},
            "practice": _practice(session, patient),
        },
        status_code=status_code or (422 if errors else 200),
    )


@router.get("/patient/cbt/exposure", response_class=HTMLResponse)
def exposure_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="exposure_item")
    return _exposure_page(request, session, patient)


@router.post("/patient/cbt/exposure", response_class=HTMLResponse)
async def add_exposure(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="exposure_item")
    form = {k: str(raw.get(k) or "").strip() for k in raw}
    try:
        data = ExposureItemCreate.model_validate(
            {
                "movement": form.get("movement", ""),
                "fear_rating": form.get("fear_rating") or None,
                "notes": form.get("notes", ""),
            }
        )
        item = cbt.add_exposure_item(session, user, patient.id, data)
    except ValidationError as exc:
        return _exposure_page(
            request, session, patient, form, {"new": labelled_errors(exc, by_name(EXPOSURE_LABELS))}
        )
    return redirect(f"/patient/cbt/exposure?added={item.id}#item-{item.id}")


@router.post("/patient/cbt/exposure/{item_id}/attempts", response_class=HTMLResponse)
async def log_exposure(
    item_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="exposure_item")
    form = {k: str(raw.get(k) or "").strip() for k in raw}
    try:
        data = ExposureAttemptCreate.model_validate(
            {
                "predicted_fear": form.get("predicted_fear") or None,
                "actual_fear": form.get("actual_fear") or None,
                "minutes": form.get("minutes") or 5,
                "note": form.get("note", ""),
            }
        )
        cbt.log_exposure_attempt(session, user, patient.id, item_id, data)
    except ValidationError as exc:
        errors = {str(item_id): labelled_errors(exc, by_name(EXPOSURE_LABELS))}
        return _exposure_page(request, session, patient, form, errors)
    except gate.PracticeClosed:
        return _exposure_page(request, session, patient, form, status_code=409)
    return redirect(f"/patient/cbt/exposure?logged={item_id}#item-{item_id}")


@router.post("/patient/cbt/exposure/{item_id}/rating", response_class=HTMLResponse)
async def rerate_exposure(
    item_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    raw = await request.form()
    patient = access.own_patient(session, user, resource_type="exposure_item")
    form = {k: str(raw.get(k) or "").strip() for k in raw}
    try:
        data = ExposureRerate.model_validate({"fear_rating": form.get("fear_rating") or None})
        cbt.rerate_exposure_item(session, user, patient.id, item_id, data.fear_rating)
    except ValidationError as exc:
        errors = {str(item_id): labelled_errors(exc, by_name(EXPOSURE_LABELS))}
        return _exposure_page(request, session, patient, form, errors)
    return redirect(f"/patient/cbt/exposure?rerated={item_id}#item-{item_id}")


# --- The clinician's view --------------------------------------------------------------------------------------


def clinician_context(session: Session, patient: Patient, *, records: int | None) -> dict[str, Any]:
    """Thought records and their trend, pacing plans and the exposure ladder, for a clinician's eyes."""
    weeks, svg = trend_svg(session, patient, chart_id=f"trend-{patient.id.hex[:8]}")
    ladder = cbt.hierarchy_for(session, patient)
    plans = cbt.pacing_plans_for(session, patient)
    return {
        "patient": patient,
        "records": cbt.thought_records_for(session, patient, limit=records),
        "record_count": cbt.thought_record_count(session, patient),
        "label": distortion_label,
        "weeks": weeks,
        "shown": trends.most_common(weeks),
        "trend_svg": svg,
        "plans": plans,
        "charts": pacing_charts(plans),
        "ladder": ladder,
        "exposure_svg": charts.exposure_chart(ladder.gaps, chart_id=f"exposure-{patient.id.hex[:8]}"),
    }


@router.get("/clinician/patients/{patient_id}/cbt", response_class=HTMLResponse)
def clinician_cbt(
    patient_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="thought_record")
    return render(request, "cbt/clinician.html", clinician_context(session, patient, records=None))


@panels.clinician_patient_panel
def _clinician_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="CBT for pain",
        template="cbt/_clinician_panel.html",
        context=clinician_context(session, patient, records=3),
        order=45,
    )
