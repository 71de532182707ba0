"""Pages: the patient's thought records, pacing plans and exposure ladder; the clinician's CBT view and panel."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
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
from painrewire.web.forms import FormDep
from painrewire.web.refusals import OtherPage, Refused, refusal_page
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


def _record_form(raw: Mapping[str, str], chosen: list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {k: str(raw.get(k) or "") for k in raw if k != "distortions"}
    form["distortions"] = chosen
    return form


def _feeling_rows(
    form: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int], list[int]]:
    """The feelings and re-rated feelings the person filled in, and the numbered rows they are on."""
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
    return feelings, rerated, feeling_rows, rerated_rows


def _records_again(refused: Refused) -> dict[str, Any] | OtherPage:
    if isinstance(refused.error, gate.PracticeClosed):
        return OtherPage(
            "programs/practice_closed.html", {"what": "Thought records", "practice": refused.error.status}
        )
    patient = access.own_patient(refused.session, refused_user(refused), resource_type="thought_record")
    form = _record_form(refused.form, refused.lists.get("distortions", []))
    errors = refused.errors
    if refused.invalid is not None:
        _, _, feeling_rows, rerated_rows = _feeling_rows(form)
        errors = labelled_errors(refused.invalid, _record_label(feeling_rows, rerated_rows))
    return _records_context(refused.session, patient, form, errors)


@router.post(
    "/patient/cbt/thought-records",
    response_class=HTMLResponse,
    dependencies=[refusal_page("cbt/thought_records.html", _records_again)],
)
def save_thought_record(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = _record_form(
        {k: v for k, v in raw.items() if isinstance(v, str)}, [str(d) for d in raw.getlist("distortions")]
    )
    feelings, rerated, _, _ = _feeling_rows(form)
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
    # The service loads the patient and audits the record: one access, one audit row.
    record = cbt.create_thought_record(session, user, access.own_patient_id(session, user), data)
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


def _sent(raw: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(raw.get(k) or "").strip() for k in raw}


def _form_key(refused: Refused) -> str:
    """Which form on the page was refused: a new one, or the one of an activity or item."""
    return refused.path.get("activity_id") or refused.path.get("item_id") or "new"


def _keyed_errors(refused: Refused, labels: dict[str, str]) -> dict[str, list[str]]:
    """The reasons beside the refused form; none for a closed practice (the page says why)."""
    if isinstance(refused.error, gate.PracticeClosed):
        return {}
    messages = (
        labelled_errors(refused.invalid, by_name(labels)) if refused.invalid is not None else refused.errors
    )
    return {_form_key(refused): messages}


def _pacing_again(refused: Refused) -> dict[str, Any]:
    patient = access.own_patient(refused.session, refused_user(refused), resource_type="pacing_activity")
    return _pacing_context(
        refused.session, patient, _sent(refused.form), _keyed_errors(refused, PACING_LABELS)
    )


PACING_AGAIN = refusal_page("cbt/pacing.html", _pacing_again)


@router.get("/patient/cbt/pacing", response_class=HTMLResponse)
def pacing_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="pacing_activity")
    return render(request, "cbt/pacing.html", _pacing_context(session, patient, {}, {}))


@router.post("/patient/cbt/pacing", response_class=HTMLResponse, dependencies=[PACING_AGAIN])
def create_pacing(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = _sent(raw)
    measured = [form.get(f"day_{i}", "") for i in range(1, MEASURED_DAYS + 1)]
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
    activity = cbt.create_pacing_activity(session, user, access.own_patient_id(session, user), data)
    return redirect(f"/patient/cbt/pacing?saved={activity.id}#activity-{activity.id}")


@router.post(
    "/patient/cbt/pacing/{activity_id}/weeks", response_class=HTMLResponse, dependencies=[PACING_AGAIN]
)
def log_pacing(
    activity_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    form = _sent(raw)
    try:
        week = int(form.get("week", ""))
    except ValueError as exc:
        raise InvalidInput("Week: choose a week of the plan.", field="week") from exc
    data = PacingWeekLog.model_validate({"actual": form.get("actual") or None})
    cbt.log_pacing_week(session, user, access.own_patient_id(session, user), activity_id, week, data.actual)
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


def _exposure_context(
    session: Session,
    patient: Patient,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    ladder = cbt.hierarchy_for(session, patient)
    return {
        "ladder": ladder,
        "chart": charts.exposure_chart(ladder.gaps, chart_id="exposure-patient"),
        "form": form or {},
        "errors": errors or {},
        "practice": _practice(session, patient),
    }


def _exposure_again(refused: Refused) -> dict[str, Any]:
    patient = access.own_patient(refused.session, refused_user(refused), resource_type="exposure_item")
    return _exposure_context(
        refused.session, patient, _sent(refused.form), _keyed_errors(refused, EXPOSURE_LABELS)
    )


EXPOSURE_AGAIN = refusal_page("cbt/exposure.html", _exposure_again)


@router.get("/patient/cbt/exposure", response_class=HTMLResponse)
def exposure_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="exposure_item")
    return render(request, "cbt/exposure.html", _exposure_context(session, patient))


@router.post("/patient/cbt/exposure", response_class=HTMLResponse, dependencies=[EXPOSURE_AGAIN])
def add_exposure(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = _sent(raw)
    data = ExposureItemCreate.model_validate(
        {
            "movement": form.get("movement", ""),
            "fear_rating": form.get("fear_rating") or None,
            "notes": form.get("notes", ""),
        }
    )
    item = cbt.add_exposure_item(session, user, access.own_patient_id(session, user), data)
    return redirect(f"/patient/cbt/exposure?added={item.id}#item-{item.id}")


@router.post(
    "/patient/cbt/exposure/{item_id}/attempts", response_class=HTMLResponse, dependencies=[EXPOSURE_AGAIN]
)
def log_exposure(item_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = _sent(raw)
    data = ExposureAttemptCreate.model_validate(
        {
            "predicted_fear": form.get("predicted_fear") or None,
            "actual_fear": form.get("actual_fear") or None,
            "minutes": form.get("minutes") or 5,
            "note": form.get("note", ""),
        }
    )
    cbt.log_exposure_attempt(session, user, access.own_patient_id(session, user), item_id, data)
    return redirect(f"/patient/cbt/exposure?logged={item_id}#item-{item_id}")


@router.post(
    "/patient/cbt/exposure/{item_id}/rating", response_class=HTMLResponse, dependencies=[EXPOSURE_AGAIN]
)
def rerate_exposure(
    item_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    data = ExposureRerate.model_validate({"fear_rating": _sent(raw).get("fear_rating") or None})
    cbt.rerate_exposure_item(session, user, access.own_patient_id(session, user), item_id, data.fear_rating)
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
