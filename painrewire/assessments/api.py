"""JSON routes for intake, questionnaires, requests, safety alerts and the instrument definitions."""

from __future__ import annotations

import uuid

from fastapi import Query

from painrewire.accounts.deps import CurrentClinician, CurrentUser
from painrewire.assessments import alerts
from painrewire.assessments import service as assessments
from painrewire.assessments.schemas import (
    AlertAcknowledge,
    AlertRead,
    AssignmentCreate,
    AssignmentRead,
    BandRead,
    InstrumentRead,
    IntakeCreate,
    IntakeRead,
    ItemRead,
    LicenceRead,
    LoincRead,
    OptionRead,
    ResponseCreate,
    ResponseRead,
    SubmissionRead,
    SubscaleRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["assessments"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def _submission(submission: assessments.Submission) -> SubmissionRead:
    return SubmissionRead(
        response=ResponseRead.model_validate(submission.response) if submission.response else None,
        intake=IntakeRead.model_validate(submission.intake) if submission.intake else None,
        alerts=[AlertRead.model_validate(a) for a in submission.alerts],
    )


def instrument_read(shown: assessments.DisplayedInstrument) -> InstrumentRead:
    """An instrument definition as the API shows it (LOINC codes: confirmed ones only)."""
    i = shown.instrument
    return InstrumentRead(
        id=i.id,
        name=i.name,
        short_name=i.short_name,
        description=i.description,
        recall=i.recall,
        instructions=i.instructions,
        scoring_version=i.version,
        total_method=i.total_method,
        min_total=i.min_total,
        max_total=i.max_total,
        higher_is_better=i.higher_is_better,
        missing_rule=i.missing.rule,
        max_missing=i.missing.max_missing,
        missing_rule_source=i.missing.source,
        subscales=[
            SubscaleRead(
                id=s.id,
                label=s.label,
                items=list(s.items),
                method=s.method,
                min_answered=s.needed,
                loinc=s.loinc,
            )
            for s in i.subscales
        ],
        bands=[
            BandRead(
                label=b.label,
                low=float(b.low) if b.low is not None else None,
                high=float(b.high) if b.high is not None else None,
                subscale=b.subscale,
                subscale_low=float(b.subscale_low) if b.subscale_low is not None else None,
                subscale_high=float(b.subscale_high) if b.subscale_high is not None else None,
            )
            for b in i.bands
        ],
        flags=[f.id for f in i.flags],
        citation=i.citation,
        licence=LicenceRead(
            item_text_included=i.licence.item_text_included,
            holder=i.licence.holder,
            terms=i.licence.terms,
            attribution=i.licence.attribution,
            note=i.licence.note,
        ),
        loinc=LoincRead(
            panel=i.loinc.panel,
            total=i.loinc.total,
            subscales=dict(i.loinc.subscales),
            answer_list=i.loinc.answer_list,
        ),
        text_source=i.text_source,
        patient_can_fill=shown.fillable_by_patient,
        items=[
            ItemRead(
                number=item.number,
                label=item.label,
                text=item.text,
                options=[OptionRead(value=o.value, code=o.code, label=o.label) for o in item.options],
                anchors=list(item.anchors) if item.anchors else None,
                safety=item.safety,
                loinc=item.loinc,
            )
            for item in i.items
        ],
    )


@router.get(
    "/instruments",
    response_model=list[InstrumentRead],
    summary="The questionnaires: items, options, scoring, bands, licence and LOINC codes",
    responses=error_responses(401),
)
def list_instruments(user: CurrentUser, settings: SettingsDep) -> list[InstrumentRead]:
    return [
        instrument_read(shown) for shown in assessments.displayed_instruments(settings.instrument_text_dir)
    ]


@router.get(
    "/patients/{patient_id}/intakes",
    response_model=list[IntakeRead],
    summary="A patient's intakes, newest first",
    responses=ERRORS,
)
def list_intakes(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[IntakeRead]:
    return [IntakeRead.model_validate(i) for i in assessments.list_intakes(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/intakes",
    response_model=SubmissionRead,
    status_code=201,
    summary="Submit an intake; a red flag raises a safety alert in the same transaction",
    responses=ERRORS,
)
def submit_intake(
    patient_id: uuid.UUID, data: IntakeCreate, user: CurrentUser, session: SessionDep
) -> SubmissionRead:
    return _submission(assessments.submit_intake(session, user, patient_id, data))


@router.post(
    "/patients/{patient_id}/questionnaires/{instrument_id}/responses",
    response_model=SubmissionRead,
    status_code=201,
    summary="Submit answers to a questionnaire; scored and stored, with any safety alert, in one transaction",
    responses=ERRORS,
)
def submit_response(
    patient_id: uuid.UUID,
    instrument_id: str,
    data: ResponseCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SubmissionRead:
    submission = assessments.submit_response(
        session,
        user,
        patient_id,
        instrument_id,
        data.answers,
        declined_items=data.declined_items,
        text_dir=settings.instrument_text_dir,
    )
    return _submission(submission)


@router.get(
    "/patients/{patient_id}/responses",
    response_model=list[ResponseRead],
    summary="A patient's completed questionnaires with their stored scores, newest first",
    responses=ERRORS,
)
def list_responses(
    patient_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    instrument_id: str | None = Query(default=None, max_length=32),
) -> list[ResponseRead]:
    responses = assessments.list_responses(session, user, patient_id, instrument_id=instrument_id)
    return [ResponseRead.model_validate(r) for r in responses]


@router.get(
    "/patients/{patient_id}/responses/{response_id}",
    response_model=ResponseRead,
    summary="One completed questionnaire",
    responses=ERRORS,
)
def get_response(
    patient_id: uuid.UUID, response_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ResponseRead:
    return ResponseRead.model_validate(assessments.get_response(session, user, patient_id, response_id))


@router.get(
    "/patients/{patient_id}/assignments",
    response_model=list[AssignmentRead],
    summary="Questionnaires the care team asked the patient to fill, open first",
    responses=ERRORS,
)
def list_assignments(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[AssignmentRead]:
    return [AssignmentRead.model_validate(a) for a in assessments.list_assignments(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/assignments",
    response_model=AssignmentRead,
    status_code=201,
    summary="Ask the patient to fill a questionnaire (clinicians on the care team)",
    responses=ERRORS,
)
def assign(
    patient_id: uuid.UUID, data: AssignmentCreate, user: CurrentUser, session: SessionDep
) -> AssignmentRead:
    assignment = assessments.assign(session, user, patient_id, data.instrument_id, due_on=data.due_on)
    return AssignmentRead.model_validate(assignment)


@router.post(
    "/patients/{patient_id}/assignments/{assignment_id}/cancel",
    response_model=AssignmentRead,
    summary="Withdraw an open questionnaire request",
    responses=ERRORS,
)
def cancel_assignment(
    patient_id: uuid.UUID, assignment_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> AssignmentRead:
    return AssignmentRead.model_validate(
        assessments.cancel_assignment(session, user, patient_id, assignment_id)
    )


@router.get(
    "/patients/{patient_id}/alerts",
    response_model=list[AlertRead],
    summary="A patient's safety alerts, open first",
    responses=ERRORS,
)
def list_patient_alerts(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[AlertRead]:
    return [AlertRead.model_validate(a) for a in assessments.alerts_for_patient(session, user, patient_id)]


@router.get(
    "/alerts",
    response_model=list[AlertRead],
    summary="Open safety alerts of the clinician's patients, most urgent first",
    responses=error_responses(401, 403),
)
def list_open_alerts(user: CurrentClinician, session: SessionDep) -> list[AlertRead]:
    return [AlertRead.model_validate(a) for a, _ in assessments.open_alerts_for_caseload(session, user)]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertRead,
    summary="Acknowledge a safety alert with a note on what was done (a clinician on the care team)",
    responses=ERRORS,
)
def acknowledge_alert(
    alert_id: uuid.UUID, data: AlertAcknowledge, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> AlertRead:
    alert = alerts.acknowledge_alert(
        session, user, alert_id, action=data.action, note=data.note, settings=settings
    )
    return AlertRead.model_validate(alert)
