"""Assessment: intake with the red-flag screen, questionnaires scored by the one engine, and safety alerts.

Safety first: a red flag at intake, or a self-harm flag from a questionnaire, creates an alert in the same
transaction as the answers that raised it; the alert stays open, and the program stays paused, until a
clinician acknowledges it with a note.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments import red_flags as red_flag_rules
from painrewire.assessments.instruments import Instrument, get_instrument, list_instruments
from painrewire.assessments.models import (
    AlertKind,
    AssignmentStatus,
    Intake,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    SafetyAlert,
)
from painrewire.assessments.schemas import CHRONIC_WEEKS, IntakeCreate
from painrewire.assessments.scoring import InvalidAnswers, score
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient

URGENCY_ORDER = {"emergency": 0, "urgent": 1, "soon": 2}


@dataclass
class Submission:
    """The stored record and the alerts it raised (empty when nothing was of concern)."""

    alerts: list[SafetyAlert] = field(default_factory=list)
    intake: Intake | None = None
    response: QuestionnaireResponse | None = None


def instrument(instrument_id: str) -> Instrument:
    """The instrument definition, or a 404 naming the ids that exist."""
    try:
        return get_instrument(instrument_id)
    except KeyError as exc:
        known = ", ".join(i.id for i in list_instruments())
        raise NotFound(f"No questionnaire called {instrument_id!r}. Known: {known}.") from exc


# --- intake -------------------------------------------------------------------------------------------


def submit_intake(session: Session, actor: User, patient_id: uuid.UUID, data: IntakeCreate) -> Submission:
    """Store an intake; any red flag raises one alert, in this transaction, at the most urgent level found."""
    patient = access.patient_for(session, actor, patient_id, action=AuditAction.CREATE, resource_type="intake")
    try:
        flags = red_flag_rules.evaluate_red_flags(data.red_flags)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="red_flags") from exc
    intake = Intake(
        patient_id=patient.id,
        submitted_by_id=actor.id,
        pain_duration_weeks=data.pain_duration_weeks,
        chronic=data.pain_duration_weeks >= CHRONIC_WEEKS,
        onset=data.onset.value,
        pain_location=data.pain_location.value,
        leg_pain=data.leg_pain,
        average_pain_last_week=data.average_pain_last_week,
        history=data.history.strip(),
        previous_treatments=data.previous_treatments.strip(),
        goals=data.goals.strip(),
        red_flag_answers=dict(data.red_flags),
        red_flags=[f.as_record() for f in flags],
        red_flag_version=red_flag_rules.VERSION,
    )
    session.add(intake)
    session.flush()
    submission = Submission(intake=intake)
    if flags:
        urgency = min((f.urgency for f in flags), key=lambda u: URGENCY_ORDER.get(u, 9))
        conditions = sorted({f.condition for f in flags})
        alert = SafetyAlert(
            patient_id=patient.id,
            kind=AlertKind.RED_FLAG,
            urgency=urgency,
            summary="Red flag at intake: " + ", ".join(c.replace("_", " ") for c in conditions),
            details={"red_flags": intake.red_flags},
            intake_id=intake.id,
        )
        session.add(alert)
        submission.alerts.append(alert)
    session.flush()
    return submission


def latest_intake(session: Session, actor: User, patient_id: uuid.UUID) -> Intake | None:
    patient = access.patient_for(session, actor, patient_id, resource_type="intake")
    return session.scalar(
        select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc()).limit(1)
    )


# --- questionnaires ------------------------------------------------------------------------------------


def submit_response(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    instrument_id: str,
    answers: Sequence[int | None],
    *,
    declined_items: Sequence[int] = (),
) -> Submission:
    """Score and store one completed instrument; a self-harm flag raises an alert in the same transaction."""
    definition = instrument(instrument_id)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="questionnaire_response"
    )
    _check_complete(definition, answers, declined_items)
    try:
        result = score(definition.id, list(answers))
    except InvalidAnswers as exc:
        raise InvalidInput(str(exc), field="answers") from exc
    response = QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id=definition.id,
        scoring_version=result.version,
        submitted_by_id=actor.id,
        answers=list(answers),
        declined_items=sorted(set(declined_items)),
        total=result.total,
        band=result.band,
        subscales=dict(result.subscales),
        flags=list(result.flags),
        valid=result.valid,
        messages=list(result.messages),
    )
    session.add(response)
    session.flush()
    submission = Submission(response=response)
    if "self_harm_risk" in result.flags:
        alert = SafetyAlert(
            patient_id=patient.id,
            kind=AlertKind.SELF_HARM_RISK,
            urgency="urgent",
            summary=f"{definition.name}: thoughts of self-harm reported (item answered above 0)",
            details={"instrument": definition.id, "flags": list(result.flags)},
            response_id=response.id,
        )
        session.add(alert)
        submission.alerts.append(alert)
    assignment = session.scalar(
        select(QuestionnaireAssignment)
        .where(
            QuestionnaireAssignment.patient_id == patient.id,
            QuestionnaireAssignment.instrument_id == definition.id,
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
        )
        .order_by(QuestionnaireAssignment.created_at)
        .limit(1)
    )
    if assignment is not None:
        assignment.status = AssignmentStatus.COMPLETED
        assignment.response_id = response.id
    session.flush()
    return submission


def _check_complete(definition: Instrument, answers: Sequence[int | None], declined_items: Sequence[int]) -> None:
    """Completion is checked here, on the server: every item is answered or explicitly declined.

    "Not answered" never happens silently, and the safety items cannot be declined.
    """
    n_items = len(definition.items)
    if len(answers) != n_items:
        raise InvalidInput(
            f"{definition.name} has {n_items} items; {len(answers)} answers were given.", field="answers"
        )
    declined = set(declined_items)
    for number in sorted(declined):
        if not 1 <= number <= n_items:
            raise InvalidInput(f"Declined item {number} does not exist; {definition.name} has {n_items} items.")
        if answers[number - 1] is not None:
            raise InvalidInput(f"Item {number} cannot be both answered and declined.", field=f"item_{number}")
    for item in definition.items:
        if answers[item.number - 1] is not None:
            continue
        if item.safety:
            raise InvalidInput(
                f"Please answer item {item.number}: it helps us keep you safe and cannot be skipped.",
                field=f"item_{item.number}",
            )
        if item.number not in declined:
            raise InvalidInput(
                f"Please answer item {item.number}, or choose 'prefer not to answer'.", field=f"item_{item.number}"
            )


def list_responses(
    session: Session, actor: User, patient_id: uuid.UUID, *, instrument_id: str | None = None, limit: int = 200
) -> list[QuestionnaireResponse]:
    """A patient's completed questionnaires, newest first."""
    patient = access.patient_for(session, actor, patient_id, resource_type="questionnaire_response")
    stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
    if instrument_id is not None:
        stmt = stmt.where(QuestionnaireResponse.instrument_id == instrument(instrument_id).id)
    return list(session.scalars(stmt.order_by(QuestionnaireResponse.completed_at.desc()).limit(limit)))


def get_response(session: Session, actor: User, patient_id: uuid.UUID, response_id: uuid.UUID) -> QuestionnaireResponse:
    patient = access.patient_for(
        session, actor, patient_id, resource_type="questionnaire_response", resource_id=response_id
    )
    response = session.scalar(
        select(QuestionnaireResponse).where(
            QuestionnaireResponse.id == response_id, QuestionnaireResponse.patient_id == patient.id
        )
    )
    if response is None:
        raise NotFound("No such questionnaire response for this patient.")
    return response


def assign(
    session: Session, actor: User, patient_id: uuid.UUID, instrument_id: str, *, due_on: date | None = None
) -> QuestionnaireAssignment:
    """A clinician on the care team asks the patient to fill an instrument (one open request per instrument)."""
    if actor.role != Role.CLINICIAN:
        raise Forbidden("Only clinicians assign questionnaires.")
    definition = instrument(instrument_id)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="questionnaire_assignment"
    )
    existing = session.scalar(
        select(QuestionnaireAssignment).where(
            QuestionnaireAssignment.patient_id == patient.id,
            QuestionnaireAssignment.instrument_id == definition.id,
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
        )
    )
    if existing is not None:
        raise Conflict(f"{definition.name} is already waiting to be filled in.")
    assignment = QuestionnaireAssignment(
        patient_id=patient.id,
        instrument_id=definition.id,
        assigned_by_id=actor.id,
        due_on=due_on,
        status=AssignmentStatus.OPEN,
    )
    session.add(assignment)
    session.flush()
    return assignment


def open_assignments(session: Session, patient: Patient) -> list[QuestionnaireAssignment]:
    """Open requests for a patient whose access was already checked."""
    return list(
        session.scalars(
            select(QuestionnaireAssignment)
            .where(
                QuestionnaireAssignment.patient_id == patient.id,
                QuestionnaireAssignment.status == AssignmentStatus.OPEN,
            )
            .order_by(QuestionnaireAssignment.due_on.is_(None), QuestionnaireAssignment.due_on)
        )
    )


def latest_scores(session: Session, patient: Patient) -> dict[str, QuestionnaireResponse]:
    """The newest response per instrument for a patient whose access was already checked."""
    responses = session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.patient_id == patient.id)
        .order_by(QuestionnaireResponse.completed_at)
    )
    return {r.instrument_id: r for r in responses}


def history(session: Session, patient: Patient) -> list[QuestionnaireResponse]:
    """Every response, oldest first, for charts (access already checked)."""
    return list(
        session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.completed_at)
        )
    )


# --- safety alerts ------------------------------------------------------------------------------------


def safety_hold(session: Session, patient_id: uuid.UUID) -> list[SafetyAlert]:
    """Open alerts that hold a patient's program (for modules that already checked access)."""
    return list(
        session.scalars(
            select(SafetyAlert)
            .where(SafetyAlert.patient_id == patient_id, SafetyAlert.acknowledged_at.is_(None))
            .order_by(SafetyAlert.raised_at)
        )
    )


def alerts_for_patient(session: Session, actor: User, patient_id: uuid.UUID) -> list[SafetyAlert]:
    patient = access.patient_for(session, actor, patient_id, resource_type="safety_alert")
    return list(
        session.scalars(
            select(SafetyAlert)
            .where(SafetyAlert.patient_id == patient.id)
            .options(joinedload(SafetyAlert.acknowledged_by))
            .order_by(SafetyAlert.acknowledged_at.is_not(None), SafetyAlert.raised_at.desc())
        )
    )


def open_alerts_for_caseload(session: Session, clinician: User) -> list[tuple[SafetyAlert, Patient]]:
    """Every open alert of the clinician's patients, most urgent and oldest first."""
    rows = session.execute(
        select(SafetyAlert, Patient)
        .join(Patient, Patient.id == SafetyAlert.patient_id)
        .where(SafetyAlert.acknowledged_at.is_(None), Patient.id.in_(access.visible_patient_ids(clinician)))
        .options(joinedload(Patient.user))
        .order_by(SafetyAlert.raised_at)
    ).all()
    pairs = [(alert, patient) for alert, patient in rows]
    return sorted(pairs, key=lambda pair: URGENCY_ORDER.get(pair[0].urgency, 9))


def acknowledge_alert(session: Session, actor: User, alert_id: uuid.UUID, note: str) -> SafetyAlert:
    """A clinician on the care team closes an alert, saying what was done."""
    if actor.role != Role.CLINICIAN:
        raise Forbidden("Only a clinician on the care team can acknowledge a safety alert.")
    alert = session.get(SafetyAlert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    access.patient_for(
        session, actor, alert.patient_id, action=AuditAction.UPDATE, resource_type="safety_alert", resource_id=alert.id
    )
    if not alert.is_open:
        raise Conflict("This alert was already acknowledged.")
    note = note.strip()
    if len(note) < 3:
        raise InvalidInput("Write a short note on what was done before acknowledging the alert.", field="note")
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = actor.id
    alert.acknowledgement_note = note
    session.flush()
    return alert
