"""Assessment: intake with the red-flag screen, questionnaires scored by the one engine, and safety alerts.

Safety first: a red flag at intake, or a self-harm flag from a questionnaire, creates an alert in the same
transaction as the answers that raised it; the alert stays open, and the program stays paused, until a
clinician acknowledges it with a note.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire import validation
from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments import alerts
from painrewire.assessments import red_flags as red_flag_rules
from painrewire.assessments.instruments import (
    Instrument,
    InstrumentDefinitionError,
    get_instrument,
    list_instruments,
    with_clinic_text,
)
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
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.risk import service as risk

URGENCY_ORDER = {u: n for n, u in enumerate(red_flag_rules.URGENCIES)}


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


@dataclass(frozen=True)
class DisplayedInstrument:
    """An instrument as people see it: with the clinic's licensed wording when it has loaded some.

    ``problem`` says why the clinic's wording file could not be used (the shipped definition is shown
    instead), so staff can fix it; patients are never shown a half-matched wording.
    """

    instrument: Instrument
    problem: str | None = None

    @property
    def fillable_by_patient(self) -> bool:
        return self.instrument.has_item_text


def displayed_instrument(instrument_id: str, text_dir: Path | None) -> DisplayedInstrument:
    """The instrument with the clinic's wording from ``text_dir`` merged in, or a 404 for an unknown id."""
    base = instrument(instrument_id)
    try:
        return DisplayedInstrument(with_clinic_text(base, text_dir))
    except InstrumentDefinitionError as exc:
        return DisplayedInstrument(base, problem=str(exc))


def displayed_instruments(text_dir: Path | None) -> list[DisplayedInstrument]:
    return [displayed_instrument(i.id, text_dir) for i in list_instruments()]


# --- intake -------------------------------------------------------------------------------------------


def _screening_age(patient: Patient, data: IntakeCreate) -> tuple[int, str]:
    """The age the red-flag screen uses, and where it came from.

    The patient's date of birth when their record has one (an age given at intake is then ignored: the record
    wins); otherwise the age the intake asked for. With neither, the intake is refused: the age-based items
    (age over 50 with new pain, the inflammatory onset age, an older smoker) are never guessed.
    """
    if patient.date_of_birth is not None:
        return red_flag_rules.age_on(patient.date_of_birth, utcnow().date()), "date_of_birth"
    if data.age_years is None:
        raise InvalidInput(
            "Please tell us your age in years. Some of the safety questions depend on it.", field="age_years"
        )
    return data.age_years, "intake"


def submit_intake(session: Session, actor: User, patient_id: uuid.UUID, data: IntakeCreate) -> Submission:
    """Store an intake; any red flag raises one alert, in this transaction, at the most urgent level found."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="intake"
    )
    age, age_source = _screening_age(patient, data)
    answers = {question: str(answer) for question, answer in data.red_flags.items()}
    try:
        flags = red_flag_rules.evaluate_red_flags(
            answers, age_years=age, pain_duration_weeks=data.pain_duration_weeks
        )
    except red_flag_rules.RedFlagInputError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
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
        red_flag_answers=answers | {red_flag_rules.AGE_KEY: age, red_flag_rules.AGE_SOURCE_KEY: age_source},
        red_flags=[f.as_record() for f in flags],
        red_flag_version=red_flag_rules.VERSION,
    )
    session.add(intake)
    session.flush()
    submission = Submission(intake=intake)
    if flags:
        urgency = red_flag_rules.most_urgent([f.urgency for f in flags])
        names = red_flag_rules.screen().conditions
        conditions = list(dict.fromkeys(f.condition for f in flags))
        alert = alerts.raise_alert(
            session,
            patient,
            kind=AlertKind.RED_FLAG,
            urgency=urgency,
            summary="Red flag at intake: " + ", ".join(names[c].lower() for c in conditions),
            details={"red_flags": intake.red_flags},
            intake_id=intake.id,
        )
        submission.alerts.append(alert)
    session.flush()
    return submission


def latest_intake(session: Session, actor: User, patient_id: uuid.UUID) -> Intake | None:
    """The patient's newest intake, or None."""
    patient = access.patient_for(session, actor, patient_id, resource_type="intake")
    return latest_intake_for(session, patient)


def latest_intake_for(session: Session, patient: Patient) -> Intake | None:
    """The newest intake of a patient whose access was already checked."""
    return session.scalar(
        select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc()).limit(1)
    )


def list_intakes(session: Session, actor: User, patient_id: uuid.UUID) -> list[Intake]:
    """Every intake of a patient, newest first (a patient may update theirs; each is kept)."""
    patient = access.patient_for(session, actor, patient_id, resource_type="intake")
    return list(
        session.scalars(
            select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc())
        )
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
    text_dir: Path | None = None,
) -> Submission:
    """Score and store one completed instrument; a self-harm flag raises an alert in the same transaction.

    A patient answers every item or says "prefer not to answer" (``declined_items``); the safety item cannot
    be declined. A clinician entering a paper form may also leave an item unanswered (left blank on the
    form). Either way the scoring engine applies the manual's missing-item rule and the stored messages say
    which items were missing and why. Patients can only fill instruments whose wording is available.
    """
    shown = displayed_instrument(instrument_id, text_dir)
    definition = shown.instrument
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="questionnaire_response"
    )
    by_patient = actor.role == Role.PATIENT
    if by_patient and not shown.fillable_by_patient:
        raise InvalidInput(
            f"The {definition.short_name} is filled in with your care team, who will go through it with you.",
            field="instrument_id",
        )
    declined = _check_complete(definition, answers, declined_items, unanswered_allowed=not by_patient)
    try:
        result = score(definition.id, list(answers))
    except InvalidAnswers as exc:
        raise InvalidInput(exc.message, field=f"item_{exc.item}" if exc.item else "answers") from exc
    messages = list(result.messages)
    if declined:
        messages.append(f"Preferred not to answer: {_items(declined)}.")
    blank = [n for n in result.missing_items if n not in declined]
    if blank:
        messages.append(f"Left unanswered on the paper form: {_items(blank)}.")
    response = QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id=definition.id,
        scoring_version=result.version,
        submitted_by_id=actor.id,
        answers=list(answers),
        declined_items=declined,
        total=result.total,
        band=result.band,
        subscales=dict(result.subscales),
        flags=list(result.flags),
        valid=result.valid,
        messages=messages,
    )
    session.add(response)
    session.flush()
    submission = Submission(response=response)
    if "self_harm_risk" in result.flags:
        item = next(i for i in definition.items if i.safety)
        answer = answers[item.number - 1]
        said = next(o.label for o in item.options if o.value == answer)
        # Under a current safety plan a repeat positive answer is reviewed without pausing practice.
        decision = risk.positive_answer_decision(session, patient.id)
        summary = (
            f"{definition.short_name} item {item.number}: thoughts of being better off dead or of self-harm "
            f'(answered "{said.lower()}")'
        )
        if decision.plan is not None and not decision.holds_practice:
            summary += (
                f"; safety plan version {decision.plan.version} is current, so practice goes on "
                "unless you pause it"
            )
        alert = alerts.raise_alert(
            session,
            patient,
            kind=AlertKind.SELF_HARM_RISK,
            urgency="urgent",
            summary=summary,
            details={
                "instrument": definition.id,
                "item": item.number,
                "answer": answer,
                "total": result.total,
                "flags": list(result.flags),
                "safety_plan_version": decision.plan.version if decision.plan is not None else None,
                "practice": decision.reason,
            },
            response_id=response.id,
            holds_practice=decision.holds_practice,
        )
        submission.alerts.append(alert)
    for item in definition.items:
        if not item.safety or answers[item.number - 1] is not None:
            continue
        # Only a clinician's paper entry gets here (a patient cannot skip or decline a safety item). A blank
        # answer says nothing either way, so practice goes on; the alert is urgent, goes to the self-harm
        # reviewers at once and escalates within the hour until one of them has asked.
        alert = alerts.raise_alert(
            session,
            patient,
            kind=AlertKind.SELF_HARM_UNASKED,
            urgency="urgent",
            summary=(
                f"{definition.short_name} item {item.number} (thoughts of being better off dead or of "
                "self-harm) was left blank on the paper form. Please ask the patient this question and "
                "record what they said."
            ),
            details={"instrument": definition.id, "item": item.number, "entered_by": str(actor.id)},
            response_id=response.id,
            holds_practice=False,
        )
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


def _items(numbers: Sequence[int]) -> str:
    return ("item " if len(numbers) == 1 else "items ") + ", ".join(str(n) for n in numbers)


def _check_complete(
    definition: Instrument,
    answers: Sequence[int | None],
    declined_items: Sequence[int],
    *,
    unanswered_allowed: bool,
) -> list[int]:
    """Completion is checked here, on the server: every item is answered or explicitly declined.

    "Not answered" never happens silently, and the safety item can be neither declined nor skipped by a
    patient. Returns the declined item numbers, sorted.
    """
    n_items = definition.item_count
    if len(answers) != n_items:
        raise InvalidInput(
            f"{definition.short_name} has {n_items} items; {len(answers)} answers were given.",
            field="answers",
        )
    declined = sorted(set(declined_items))
    for number in declined:
        if not 1 <= number <= n_items:
            raise InvalidInput(
                f"Declined item {number} does not exist; {definition.short_name} has {n_items} items.",
                field="declined_items",
            )
        if answers[number - 1] is not None:
            raise InvalidInput(f"Item {number} cannot be both answered and declined.", field=f"item_{number}")
        if definition.item(number).safety:
            raise InvalidInput(
                f"Please answer item {number}: it helps us keep you safe, so it cannot be skipped.",
                field=f"item_{number}",
            )
    if unanswered_allowed:
        return declined
    for item in definition.items:
        if answers[item.number - 1] is not None or item.number in declined:
            continue
        if item.safety:
            raise InvalidInput(
                f"Please answer item {item.number}: it helps us keep you safe, so it cannot be skipped.",
                field=f"item_{item.number}",
            )
        raise InvalidInput(
            f"Please answer item {item.number}, or choose 'prefer not to answer'.",
            field=f"item_{item.number}",
        )
    return declined


def list_responses(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    instrument_id: str | None = None,
    limit: int = 200,
) -> list[QuestionnaireResponse]:
    """A patient's completed questionnaires, newest first."""
    patient = access.patient_for(session, actor, patient_id, resource_type="questionnaire_response")
    stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
    if instrument_id is not None:
        stmt = stmt.where(QuestionnaireResponse.instrument_id == instrument(instrument_id).id)
    return list(session.scalars(stmt.order_by(QuestionnaireResponse.completed_at.desc()).limit(limit)))


def get_response(
    session: Session, actor: User, patient_id: uuid.UUID, response_id: uuid.UUID
) -> QuestionnaireResponse:
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


#: The furthest ahead a clinician may set a questionnaire's due day.
MAX_DUE_DAYS = 5 * 365


def assign(
    session: Session, actor: User, patient_id: uuid.UUID, instrument_id: str, *, due_on: date | None = None
) -> QuestionnaireAssignment:
    """A clinician on the care team asks the patient to fill an instrument (one open request per instrument)."""
    access.require_role(actor, Role.CLINICIAN, message="Only clinicians assign questionnaires.")
    definition = instrument(instrument_id)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="questionnaire_assignment"
    )
    if due_on is not None:
        today = validation.local_date(utcnow(), ZoneInfo(patient.timezone))
        validation.check_day(
            due_on,
            field="due_on",
            latest=validation.add_days(today, MAX_DUE_DAYS),
            latest_reason=f"{MAX_DUE_DAYS // 365} years from today",
        )
    existing = session.scalar(
        select(QuestionnaireAssignment).where(
            QuestionnaireAssignment.patient_id == patient.id,
            QuestionnaireAssignment.instrument_id == definition.id,
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
        )
    )
    if existing is not None:
        raise Conflict(f"The {definition.short_name} is already waiting to be filled in.")
    assignment = QuestionnaireAssignment(
        patient_id=patient.id,
        instrument_id=definition.id,
        assigned_by_id=actor.id,
        due_on=due_on,
        status=AssignmentStatus.OPEN,
    )
    try:
        with session.begin_nested():  # the partial unique index settles two clinicians assigning at once
            session.add(assignment)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The {definition.short_name} is already waiting to be filled in.") from exc
    return assignment


def request_for_follow_up(
    session: Session, patient: Patient, instrument_id: str, *, due_on: date
) -> QuestionnaireAssignment:
    """The clinic's follow-up schedule (no clinician) asks a patient to fill an instrument by a day.

    For the worker, on a patient it found itself. An open request for the same instrument stands for it and
    is returned unchanged (one open request per instrument); raises `NotFound` for an instrument the clinic
    does not run.
    """
    definition = instrument(instrument_id)

    def waiting() -> QuestionnaireAssignment | None:
        return session.scalar(
            select(QuestionnaireAssignment).where(
                QuestionnaireAssignment.patient_id == patient.id,
                QuestionnaireAssignment.instrument_id == definition.id,
                QuestionnaireAssignment.status == AssignmentStatus.OPEN,
            )
        )

    existing = waiting()
    if existing is not None:
        return existing
    assignment = QuestionnaireAssignment(
        patient_id=patient.id,
        instrument_id=definition.id,
        assigned_by_id=None,
        due_on=due_on,
        status=AssignmentStatus.OPEN,
    )
    try:
        with session.begin_nested():
            session.add(assignment)
            session.flush()
    except IntegrityError:  # opened at the same moment by a clinician or another worker
        found = waiting()
        if found is None:
            raise
        return found
    return assignment


def list_assignments(session: Session, actor: User, patient_id: uuid.UUID) -> list[QuestionnaireAssignment]:
    """A patient's questionnaire requests, open first, newest first."""
    patient = access.patient_for(session, actor, patient_id, resource_type="questionnaire_assignment")
    return list(
        session.scalars(
            select(QuestionnaireAssignment)
            .where(QuestionnaireAssignment.patient_id == patient.id)
            .order_by(
                QuestionnaireAssignment.status != AssignmentStatus.OPEN,
                QuestionnaireAssignment.created_at.desc(),
            )
        )
    )


def cancel_assignment(
    session: Session, actor: User, patient_id: uuid.UUID, assignment_id: uuid.UUID
) -> QuestionnaireAssignment:
    """A clinician on the care team withdraws an open request."""
    access.require_role(actor, Role.CLINICIAN, message="Only clinicians withdraw questionnaire requests.")
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="questionnaire_assignment",
        resource_id=assignment_id,
    )
    assignment = session.scalar(
        select(QuestionnaireAssignment).where(
            QuestionnaireAssignment.id == assignment_id, QuestionnaireAssignment.patient_id == patient.id
        )
    )
    if assignment is None:
        raise NotFound("No such questionnaire request for this patient.")
    if assignment.status != AssignmentStatus.OPEN:
        raise Conflict(f"This request is already {assignment.status.value}.")
    assignment.status = AssignmentStatus.CANCELLED
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
            .where(
                SafetyAlert.patient_id == patient_id,
                SafetyAlert.acknowledged_at.is_(None),
                SafetyAlert.holds_practice.is_(True),
            )
            .order_by(SafetyAlert.raised_at)
        )
    )


def most_urgent_first(alerts: Iterable[SafetyAlert]) -> list[SafetyAlert]:
    """Alerts as a clinician deals with them in a visit: the most urgent first, then the newest first."""
    return sorted(
        alerts, key=lambda a: (URGENCY_ORDER.get(a.urgency, len(URGENCY_ORDER)), -a.raised_at.timestamp())
    )


def newest_first(responses: Iterable[QuestionnaireResponse]) -> list[QuestionnaireResponse]:
    """Questionnaire responses, the most recently completed first."""
    return sorted(responses, key=lambda r: r.completed_at, reverse=True)


def alerts_for_patient(session: Session, actor: User, patient_id: uuid.UUID) -> list[SafetyAlert]:
    """A patient's safety alerts, open ones first, newest first."""
    patient = access.patient_for(session, actor, patient_id, resource_type="safety_alert")
    return alerts_of(session, patient)


def alerts_of(session: Session, patient: Patient) -> list[SafetyAlert]:
    """Every safety alert of a patient whose access was already checked, open first, newest first."""
    return list(
        session.scalars(
            select(SafetyAlert)
            .where(SafetyAlert.patient_id == patient.id)
            .options(joinedload(SafetyAlert.acknowledged_by))
            .order_by(SafetyAlert.acknowledged_at.is_not(None), SafetyAlert.raised_at.desc())
        )
    )


def open_alerts_for_caseload(session: Session, clinician: User) -> list[tuple[SafetyAlert, Patient]]:
    """Every open alert of the clinician's patients, most urgent and oldest first; each shown alert is audited."""
    rows = session.execute(
        select(SafetyAlert, Patient)
        .join(Patient, Patient.id == SafetyAlert.patient_id)
        .where(SafetyAlert.acknowledged_at.is_(None), Patient.id.in_(access.visible_patient_ids(clinician)))
        .options(joinedload(Patient.user))
        .order_by(SafetyAlert.raised_at)
    ).all()
    for alert, patient in rows:
        audit.record(
            session,
            clinician,
            AuditAction.READ,
            "safety_alert",
            resource_id=alert.id,
            patient_id=patient.id,
            reason="open safety alerts of the caseload",
        )
    pairs = [(alert, patient) for alert, patient in rows]
    return sorted(pairs, key=lambda pair: URGENCY_ORDER.get(pair[0].urgency, 9))


def alerts_without_care_team(session: Session, admin: User) -> list[tuple[SafetyAlert, Patient]]:
    """Open alerts of patients nobody looks after yet: the front desk must get them a clinician now.

    Safety outranks the rule that admins see no health data: the admin sees that an alert is open, how
    urgent it is and of which kind, so they can assign a clinician at once; each such read is audited.
    """
    access.require_role(admin, Role.ADMIN, message="This list is for administrators.")
    rows = session.execute(
        select(SafetyAlert, Patient)
        .join(Patient, Patient.id == SafetyAlert.patient_id)
        .where(
            SafetyAlert.acknowledged_at.is_(None),
            access.without_care_team(),
        )
        .options(joinedload(Patient.user))
        .order_by(SafetyAlert.raised_at)
    ).all()
    for alert, patient in rows:
        audit.record(
            session,
            admin,
            AuditAction.READ,
            "safety_alert",
            resource_id=alert.id,
            patient_id=patient.id,
            reason="open safety alert of a patient without a care team",
        )
    pairs = [(alert, patient) for alert, patient in rows]
    return sorted(pairs, key=lambda pair: URGENCY_ORDER.get(pair[0].urgency, 9))
