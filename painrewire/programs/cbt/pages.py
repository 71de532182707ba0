"""Pages: the patient's thought records, pacing plans and exposure ladder; the clinician's CBT view and panel."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role
from painrewire.diary.service import local_today
from painrewire.errors import InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.programs.cbt import charts, trends
from painrewire.programs.cbt import service as cbt
from painrewire.programs.cbt.content import distortion_label, distortions
from painrewire.programs.cbt.forms import Labeller, by_name, labelled_errors
from painrewire.programs.cbt.schemas import (
    ThoughtRecordCreate,
)
from painrewire.web.deps import CurrentPatientUser, SessionDep
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


def _paused(request: Request, what: str) -> Response:
    return render(request, "cbt/paused.html", {"what": what})


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
            "paused": cbt.program_paused(session, patient),
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
        "today": local_today(patient),
        "opened_at": int(time.time()),
    }


@router.get("/patient/cbt/thought-records", response_class=HTMLResponse)
def thought_records_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="thought_record")
    if cbt.program_paused(session, patient):
        return _paused(request, "Thought records")
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
    return redirect(f"/patient/cbt/thought-records?saved={record.id}#record-{record.id}")
