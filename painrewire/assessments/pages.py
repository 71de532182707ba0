"""Pages: the patient's intake, questionnaires and safety page; the clinician's assessment view and alerts.

A red flag at intake, or a self-harm answer, sends the patient straight to ``/patient/safety`` (what to do
now), and the alert stays on the care team's pages until a clinician acknowledges it with a note.
"""

from __future__ import annotations

import uuid
from datetime import date
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.assessments import alerts, plain, red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.instruments import Instrument, list_instruments
from painrewire.assessments.models import QuestionnaireResponse, SafetyAlert
from painrewire.assessments.schemas import IntakeCreate, IntakeWords, Onset, PainLocation
from painrewire.charts import score_chart
from painrewire.config import Settings, get_settings
from painrewire.content import load_yaml
from painrewire.db import utcnow
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access, panels
from painrewire.patients import service as patients
from painrewire.patients.models import Patient
from painrewire.risk import service as risk
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.errors import readable_pydantic_errors
from painrewire.web.forms import FormDep
from painrewire.web.refusals import FormInvalid, Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/questionnaires", "Questionnaires")

INTAKE_FILE = Path(__file__).with_name("intake.yaml")
DECLINED = "declined"
BLANK = "blank"
#: Shading of severity bands on the score charts, mildest first.
BAND_COLOURS = ("#e8f5e9", "#fff8e1", "#ffe0b2", "#ffccbc", "#ffcdd2")


@lru_cache(maxsize=1)
def _intake_words() -> IntakeWords:
    return load_yaml(INTAKE_FILE, IntakeWords)


def _onsets() -> dict[Onset, str]:
    return dict(_intake_words().onsets)


def _locations() -> dict[PainLocation, str]:
    return dict(_intake_words().locations)


def _weeks_per(unit: str) -> Fraction | None:
    return _intake_words().duration_units.get(unit)


# --- patient: intake ------------------------------------------------------------------------------------


def _intake_context(form: dict[str, str], errors: list[str], *, ask_age: bool) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "onsets": _onsets(),
        "locations": _locations(),
        "families": red_flags.families(),
        "ask_age": ask_age,
    }


def _own_patient_id(session: Session, user: User) -> uuid.UUID:
    """The logged-in patient's record id; the service then loads the record through ``access`` (and audits)."""
    patient_id = session.scalar(access.visible_patient_ids(user))
    if patient_id is None:
        raise NotFound("Your patient record was not found.")
    return patient_id


def _asks_age(patient: Patient) -> bool:
    """The form asks the patient's age only when their record has no date of birth (the record wins)."""
    return patient.date_of_birth is None


@router.get("/patient/intake", response_class=HTMLResponse)
def intake_form(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="intake")
    return render(request, "assessments/intake.html", _intake_context({}, [], ask_age=_asks_age(patient)))


def _intake_data(form: dict[str, str], *, ask_age: bool) -> tuple[dict[str, Any], list[str]]:
    """The form as an `IntakeCreate` payload, and what a person must fix (the red-flag answers included)."""
    errors: list[str] = []
    weeks: int | None = None
    per = _weeks_per(form.get("duration_unit", ""))
    try:
        amount = int(form.get("duration_value", ""))
    except ValueError:
        amount = -1
    if per is None or not 0 <= amount <= 100:
        errors.append(
            "How long you have had this pain: give a number from 0 to 100 and choose weeks, months or years."
        )
    else:
        weeks = int(amount * per)
    age: int | None = None
    if ask_age:
        try:
            age = int(form.get("age_years", ""))
        except ValueError:
            errors.append("Your age: please give your age in years, as a number.")
    answers: dict[str, str] = {}
    for question in red_flags.questions():
        given = form.get(f"rf_{question.id}", "")
        if given not in red_flags.ANSWERS:
            errors.append(f"Please choose an answer: {question.text}")
            continue
        answers[question.id] = given
    payload = {
        "pain_duration_weeks": weeks,
        "onset": form.get("onset") or None,
        "pain_location": form.get("pain_location") or None,
        "leg_pain": form.get("leg_pain") == "yes",
        "average_pain_last_week": form.get("average_pain_last_week") or None,
        "history": form.get("history", ""),
        "previous_treatments": form.get("previous_treatments", ""),
        "goals": form.get("goals", ""),
        "age_years": age,
        "red_flags": answers,
    }
    return payload, errors


FIELD_NAMES = {
    "pain_duration_weeks": "How long you have had this pain",
    "onset": "How it started",
    "pain_location": "Where the pain is",
    "average_pain_last_week": "Average pain over the last week",
    "history": "History",
    "previous_treatments": "What you have tried",
    "goals": "Your goals",
    "age_years": "Your age",
}


def _friendly(messages: list[str]) -> list[str]:
    out = []
    for message in messages:
        field, _, rest = message.partition(": ")
        out.append(f"{FIELD_NAMES.get(field, field)}: {rest}" if rest else message)
    return out


def _intake_again(refused: Refused) -> dict[str, Any]:
    patient = access.own_patient(refused.session, refused_user(refused), resource_type="intake")
    return _intake_context(dict(refused.form), refused.errors, ask_age=_asks_age(patient))


@router.post(
    "/patient/intake",
    response_class=HTMLResponse,
    dependencies=[refusal_page("assessments/intake.html", _intake_again)],
)
def submit_intake(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    patient_id = _own_patient_id(session, user)
    # Whether the record has a date of birth decides only which answers the form needs; the intake's one
    # access, audited, is the service's.
    has_birth_date = session.scalar(
        select(Patient.date_of_birth.is_not(None)).where(Patient.id == patient_id)
    )
    payload, errors = _intake_data(form, ask_age=not has_birth_date)
    try:
        data = IntakeCreate.model_validate(payload)
    except ValidationError as exc:
        errors = [
            e for e in _friendly(readable_pydantic_errors(exc)) if not e.startswith("red_flags")
        ] + errors
    if errors:
        raise FormInvalid(errors)
    # The service loads the patient and audits the intake: one access, one audit row.
    submission = assessments.submit_intake(session, user, patient_id, data)
    return redirect("/patient/safety" if submission.alerts else "/patient/questionnaires?intake=1")


# --- patient: safety ------------------------------------------------------------------------------------


@router.get("/patient/safety", response_class=HTMLResponse)
def safety_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="safety_alert")
    return render(
        request,
        "assessments/safety.html",
        {
            "alerts": assessments.safety_hold(session, patient.id),
            "has_care_team": bool(patients.care_team(session, patient)),
            "urgencies": red_flags.screen().urgencies,
            # Open self-harm answers (paused or not) and the patient's safety plan: the risk module's section.
            "risk": risk.patient_safety(session, patient),
        },
    )


# --- patient: questionnaires ----------------------------------------------------------------------------


@router.get("/patient/questionnaires", response_class=HTMLResponse)
def questionnaires(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    patient = access.own_patient(session, user, resource_type="questionnaire_response")
    shown = {d.instrument.id: d for d in assessments.displayed_instruments(settings.instrument_text_dir)}
    latest = assessments.latest_scores(session, patient)
    requests = assessments.open_assignments(session, patient)
    requested = {a.instrument_id for a in requests}
    return render(
        request,
        "assessments/questionnaires.html",
        {
            "has_intake": assessments.latest_intake_for(session, patient) is not None,
            "today": utcnow().astimezone(ZoneInfo(patient.timezone)).date(),
            "open_requests": [(a, shown[a.instrument_id]) for a in requests if a.instrument_id in shown],
            "baseline": [
                d
                for i, d in shown.items()
                if i not in latest and i not in requested and d.fillable_by_patient
            ],
            "done": [(shown[i].instrument, r) for i, r in latest.items() if i in shown],
            "on_hold": bool(assessments.safety_hold(session, patient.id)),
            "done_now": shown.get(request.query_params.get("done", "")),
            "plain_line": plain.plain_line,
        },
    )


def _parse_answers(
    instrument: Instrument, raw: FormData, *, blank_allowed: bool
) -> tuple[list[int | None], list[int], list[str]]:
    """Answers, declined items and what must be fixed, from the form (every item named in the messages)."""
    answers: list[int | None] = []
    declined: list[int] = []
    missing: list[int] = []
    errors: list[str] = []
    for item in instrument.items:
        value = raw.get(f"item_{item.number}")
        if value == DECLINED and not item.safety:
            answers.append(None)
            declined.append(item.number)
        elif value == DECLINED:
            answers.append(None)
            missing.append(item.number)
        elif value == BLANK and blank_allowed:
            answers.append(None)
        elif isinstance(value, str) and value.lstrip("-").isdigit() and int(value) in item.values:
            answers.append(int(value))
        elif value in (None, ""):
            answers.append(None)
            missing.append(item.number)
        else:
            answers.append(None)
            errors.append(f"Item {item.number}: that is not one of the answers.")
    for number in missing:
        if instrument.item(number).safety:
            errors.append(f"Please answer item {number}: it helps us keep you safe, so it cannot be skipped.")
        else:
            errors.append(f"Please answer item {number}, or choose 'prefer not to answer'.")
    return answers, declined, errors


def _questionnaire_context(
    shown: assessments.DisplayedInstrument,
    *,
    action: str,
    given: dict[str, str],
    errors: list[str],
    patient: Patient | None = None,
    clinician_entry: bool = False,
) -> dict[str, Any]:
    return {
        "shown": shown,
        "instrument": shown.instrument,
        "action": action,
        "given": given,
        "errors": errors,
        "patient": patient,
        "clinician_entry": clinician_entry,
        "declined": DECLINED,
        "blank": BLANK,
    }


@router.get("/patient/questionnaires/{instrument_id}", response_class=HTMLResponse)
def questionnaire_form(
    request: Request, instrument_id: str, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    shown = assessments.displayed_instrument(instrument_id, settings.instrument_text_dir)
    access.own_patient(session, user, resource_type="questionnaire_response")
    action = f"/patient/questionnaires/{shown.instrument.id}"
    context = _questionnaire_context(shown, action=action, given={}, errors=[])
    return render(request, "assessments/questionnaire.html", context)


def _questionnaire_again(refused: Refused) -> dict[str, Any]:
    """The questionnaire again with the answers given, for the patient or for the clinician entering paper."""
    user = refused_user(refused)
    settings: Settings = refused.request.app.state.settings
    shown = assessments.displayed_instrument(refused.path["instrument_id"], settings.instrument_text_dir)
    given = {k: v for k, v in refused.form.items() if k.startswith("item_")}
    if "patient_id" not in refused.path:
        access.own_patient(refused.session, user, resource_type="questionnaire_response")
        action = f"/patient/questionnaires/{shown.instrument.id}"
        return _questionnaire_context(shown, action=action, given=given, errors=refused.errors)
    patient_id = uuid.UUID(refused.path["patient_id"])
    patient = access.patient_for(refused.session, user, patient_id, resource_type="questionnaire_response")
    action = f"/clinician/patients/{patient.id}/questionnaires/{shown.instrument.id}"
    return _questionnaire_context(
        shown, action=action, given=given, errors=refused.errors, patient=patient, clinician_entry=True
    )


QUESTIONNAIRE_AGAIN = refusal_page("assessments/questionnaire.html", _questionnaire_again)


@router.post(
    "/patient/questionnaires/{instrument_id}", response_class=HTMLResponse, dependencies=[QUESTIONNAIRE_AGAIN]
)
def submit_questionnaire(
    instrument_id: str, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep, raw: FormDep
) -> Response:
    shown = assessments.displayed_instrument(instrument_id, settings.instrument_text_dir)
    answers, declined, errors = _parse_answers(shown.instrument, raw, blank_allowed=False)
    if errors:
        raise FormInvalid(errors)
    # The service loads the patient and audits the response: one access, one audit row.
    submission = assessments.submit_response(
        session,
        user,
        _own_patient_id(session, user),
        shown.instrument.id,
        answers,
        declined_items=declined,
        text_dir=settings.instrument_text_dir,
    )
    if submission.alerts:
        return redirect("/patient/safety")
    return redirect(f"/patient/questionnaires?done={shown.instrument.id}")


# --- clinician ------------------------------------------------------------------------------------------


def _chart(instrument: Instrument, responses: list[QuestionnaireResponse]) -> Markup | None:
    """The total over time on the instrument's bands, or None with fewer than two valid totals."""
    points = [(r.completed_at.date(), float(r.total)) for r in responses if r.total is not None and r.valid]
    if len(points) < 2 or instrument.min_total is None or instrument.max_total is None:
        return None
    if any(b.subscale is not None for b in instrument.bands):
        return None  # bands that depend on a subscale (STarT Back risk) cannot be drawn on the total alone
    lo, hi = instrument.min_total, instrument.max_total
    plain = [b for b in instrument.bands if b.low is not None and b.high is not None]
    bands: list[tuple[float, float, str, str]] = []
    step = 1.0 if instrument.total_method == "sum" else 0.1
    for n, band in enumerate(plain):
        start = float(band.low) if n == 0 else bands[-1][1]  # type: ignore[arg-type]
        end = hi if n == len(plain) - 1 else float(band.high) + step  # type: ignore[arg-type]
        bands.append((start, min(end, hi), band.label, BAND_COLOURS[min(n, len(BAND_COLOURS) - 1)]))
    svg = score_chart(points, bands=bands, min_value=lo, max_value=hi, title=instrument.short_name)
    return Markup(svg)


def _assessment_context(
    session: Session, user: User, patient: Patient, settings: Settings, errors: list[str]
) -> dict[str, Any]:
    shown = assessments.displayed_instruments(settings.instrument_text_dir)
    by_id = {d.instrument.id: d for d in shown}
    grouped: dict[str, list[QuestionnaireResponse]] = {}
    for response in assessments.history(session, patient):
        grouped.setdefault(response.instrument_id, []).append(response)
    history = [
        (by_id[i].instrument, grouped[i], _chart(by_id[i].instrument, grouped[i]))
        for i in by_id
        if i in grouped
    ]
    intake = assessments.latest_intake_for(session, patient)
    return {
        "patient": patient,
        "alerts": [(a, _closing(user, a, settings)) for a in assessments.alerts_of(session, patient)],
        "intake": intake,
        "history": history,
        "open_requests": assessments.open_assignments(session, patient),
        "instruments": shown,
        "by_id": by_id,
        "today": utcnow().astimezone(settings.zone).date(),
        "errors": errors,
        "red_flag_conditions": red_flags.screen().conditions,
        "red_flag_urgencies": red_flags.screen().urgencies,
        "red_flag_answers": red_flags.answer_summary(intake.red_flag_version, intake.red_flag_answers)
        if intake is not None
        else [],
    }


@router.get("/clinician/patients/{patient_id}/assessment", response_class=HTMLResponse)
def assessment_view(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="assessment")
    return render(
        request, "assessments/clinician_view.html", _assessment_context(session, user, patient, settings, [])
    )


def _assessment_again(refused: Refused) -> dict[str, Any]:
    user = refused_user(refused)
    patient_id = uuid.UUID(refused.path["patient_id"])
    patient = access.patient_for(refused.session, user, patient_id, resource_type="assessment")
    settings: Settings = refused.request.app.state.settings
    return _assessment_context(refused.session, user, patient, settings, refused.errors)


@router.post(
    "/clinician/patients/{patient_id}/assignments",
    response_class=HTMLResponse,
    dependencies=[refusal_page("assessments/clinician_view.html", _assessment_again)],
)
def assign(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    instrument_id = str(raw.get("instrument_id") or "")
    due_text = str(raw.get("due_on") or "")
    try:
        due = date.fromisoformat(due_text) if due_text else None
    except ValueError as exc:
        raise InvalidInput("Due by: not a date.", field="due_on") from exc
    assessments.assign(session, user, patient_id, instrument_id, due_on=due)
    return redirect(f"/clinician/patients/{patient_id}/assessment?assigned={instrument_id}")


@router.post(
    "/clinician/patients/{patient_id}/assignments/{assignment_id}/cancel", response_class=HTMLResponse
)
def cancel_assignment(
    patient_id: uuid.UUID, assignment_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    assessments.cancel_assignment(session, user, patient_id, assignment_id)
    return redirect(f"/clinician/patients/{patient_id}/assessment")


@router.get("/clinician/patients/{patient_id}/questionnaires/{instrument_id}", response_class=HTMLResponse)
def paper_entry_form(
    request: Request,
    patient_id: uuid.UUID,
    instrument_id: str,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    shown = assessments.displayed_instrument(instrument_id, settings.instrument_text_dir)
    patient = access.patient_for(session, user, patient_id, resource_type="questionnaire_response")
    action = f"/clinician/patients/{patient.id}/questionnaires/{shown.instrument.id}"
    context = _questionnaire_context(
        shown, action=action, given={}, errors=[], patient=patient, clinician_entry=True
    )
    return render(request, "assessments/questionnaire.html", context)


@router.post(
    "/clinician/patients/{patient_id}/questionnaires/{instrument_id}",
    response_class=HTMLResponse,
    dependencies=[QUESTIONNAIRE_AGAIN],
)
def paper_entry(
    patient_id: uuid.UUID,
    instrument_id: str,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    raw: FormDep,
) -> Response:
    shown = assessments.displayed_instrument(instrument_id, settings.instrument_text_dir)
    answers, declined, errors = _parse_answers(shown.instrument, raw, blank_allowed=True)
    if errors:
        raise FormInvalid(errors)
    # The service loads the patient and audits the entry: one access, one audit row.
    assessments.submit_response(
        session,
        user,
        patient_id,
        shown.instrument.id,
        answers,
        declined_items=declined,
        text_dir=settings.instrument_text_dir,
    )
    return redirect(f"/clinician/patients/{patient_id}/assessment?entered={shown.instrument.id}")


def _safe_back(target: str) -> str:
    """Only a page of this site's clinician area (never another site) after acknowledging an alert."""
    if (
        target.startswith("/clinician")
        and not target.startswith("//")
        and "\\" not in target
        and "://" not in target
    ):
        return target
    return "/clinician"


@router.post("/clinician/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
def acknowledge_alert(
    alert_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep, raw: FormDep
) -> Response:
    alerts.acknowledge_alert(
        session,
        user,
        alert_id,
        action=str(raw.get("action") or ""),
        note=str(raw.get("note") or ""),
        settings=settings,
    )
    return redirect(_safe_back(str(raw.get("back") or "/clinician")))


# --- home panels ----------------------------------------------------------------------------------------


def _requests_for_patient(session: Session, patient: Patient) -> list[dict[str, Any]]:
    """The open requests as the patient reads them: who fills each in, when it is due, and whether that day
    has passed where the patient lives."""
    today = utcnow().astimezone(ZoneInfo(patient.timezone)).date()
    text_dir = get_settings().instrument_text_dir
    rows = []
    for assignment in assessments.open_assignments(session, patient):
        try:
            shown = assessments.displayed_instrument(assignment.instrument_id, text_dir)
        except NotFound:
            continue
        due = assignment.due_on
        rows.append(
            {
                "name": shown.instrument.name,
                "href": f"/patient/questionnaires/{shown.instrument.id}",
                "by_patient": shown.fillable_by_patient,
                "due_on": due,
                "days_overdue": (today - due).days if due is not None and due < today else 0,
            }
        )
    return rows


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    requests = _requests_for_patient(session, patient)
    return panels.Panel(
        title="Your assessment",
        template="assessments/_patient_panel.html",
        context={
            "alerts": assessments.safety_hold(session, patient.id),
            "has_intake": assessments.latest_intake_for(session, patient) is not None,
            "open_requests": requests,
            "yours": [r for r in requests if r["by_patient"]],
        },
        order=1,
    )


def _change(
    instrument: Instrument, baseline: QuestionnaireResponse, latest: QuestionnaireResponse
) -> dict[str, Any] | None:
    """The change in total from the first response to the newest, and whether that is better; None with one."""
    if baseline.id == latest.id or baseline.total is None or latest.total is None:
        return None
    delta = float(latest.total) - float(baseline.total)
    better = None if delta == 0 else (delta > 0) == instrument.higher_is_better
    shown = int(delta) if instrument.total_method == "sum" else round(delta, 1)
    return {"delta": shown, "better": better, "since": baseline.completed_at.date()}


@panels.clinician_patient_panel
def _overview_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    responses = assessments.history(session, patient)
    first: dict[str, QuestionnaireResponse] = {}
    latest: dict[str, QuestionnaireResponse] = {}
    for r in responses:
        first.setdefault(r.instrument_id, r)
        latest[r.instrument_id] = r
    shown = {i.id: i for i in list_instruments()}
    # A 20-minute visit's order: the most urgent (then newest) alert first; each questionnaire's latest
    # score, the most recent first, with its change since the first one (the baseline).
    newest = [r for r in assessments.newest_first(latest.values()) if r.instrument_id in shown]
    return panels.Panel(
        title="Assessment and safety",
        template="assessments/_overview_panel.html",
        context={
            "patient": patient,
            "alerts": assessments.most_urgent_first(assessments.safety_hold(session, patient.id)),
            "intake": assessments.latest_intake_for(session, patient),
            "latest": [(shown[r.instrument_id], r) for r in newest],
            "changes": {
                r.instrument_id: _change(shown[r.instrument_id], first[r.instrument_id], r) for r in newest
            },
            "severity": plain.band_severity,
        },
        order=1,
    )


@panels.clinician_home_panel
def _alerts_panel(session: Session, user: User) -> panels.Panel | None:
    settings = get_settings()
    open_alerts = [
        (alert, patient, _closing(user, alert, settings))
        for alert, patient in assessments.open_alerts_for_caseload(session, user)
    ]
    return panels.Panel(
        title=f"Open safety alerts ({len(open_alerts)})" if open_alerts else "Safety alerts",
        template="assessments/_alerts_panel.html",
        context={"alerts": open_alerts},
        order=0,
    )


def _closing(user: User, alert: SafetyAlert, settings: Settings) -> dict[str, Any]:
    """What the close form needs: whether this clinician may close it, the actions, and who may if not."""
    return {
        "may_close": alerts.may_close(user, alert, settings),
        "actions": alerts.actions_for(alert.kind),
        "owners": alerts.owners_label(alert.kind, settings),
        "min_note": alerts.MIN_NOTE_CHARS,
    }


@panels.admin_home_panel
def _unattended_alerts_panel(session: Session, user: User) -> panels.Panel | None:
    alerts = assessments.alerts_without_care_team(session, user)
    if not alerts:
        return None
    return panels.Panel(
        title=f"Safety alerts with no care team to see them ({len(alerts)})",
        template="assessments/_admin_alerts_panel.html",
        context={"alerts": alerts, "clinicians": accounts.list_clinicians(session)},
        order=0,
    )
