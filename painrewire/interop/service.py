"""Exports of a patient's record: the FHIR R4 Bundle and a single questionnaire's FHIR resources.

The Bundle carries the safety alerts (as Flags) and the clinicians' risk assessments (as RiskAssessments).

Every export goes through the one permission check and writes one ``export`` audit row.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments.models import Intake, QuestionnaireResponse, SafetyAlert
from painrewire.db import utcnow
from painrewire.errors import NotFound
from painrewire.interop import fhir
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.reports import records
from painrewire.risk import service as risk
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import Appointment


def appointments_of(session: Session, patient: Patient) -> list[Appointment]:
    return list(
        session.scalars(
            select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)
        )
    )


def _appointment_label(key: str) -> str | None:
    found = catalogue().get(key)
    return found.label if found else None


def _safety_resources(
    session: Session, patient: Patient, builder: fhir.BundleBuilder, responses: list[QuestionnaireResponse]
) -> set[uuid.UUID]:
    """Add a Flag per safety alert and a RiskAssessment per risk assessment; return the clinicians they name."""
    systems = builder.systems
    alerts = list(
        session.scalars(
            select(SafetyAlert).where(SafetyAlert.patient_id == patient.id).order_by(SafetyAlert.raised_at)
        )
    )
    assessments = risk.risk_assessments_of(session, patient)
    # Who gave the answers that raised each alert: the patient themself, or a clinician entering a paper form.
    submitted_by = {r.id: r.submitted_by_id for r in responses}
    intake_ids = {a.intake_id for a in alerts if a.intake_id is not None}
    if intake_ids:
        submitted_by |= dict(
            session.execute(
                select(Intake.id, Intake.submitted_by_id).where(Intake.id.in_(intake_ids))
            ).tuples()
        )
    clinicians = set(
        session.scalars(
            select(User.id).where(
                User.id.in_({uid for uid in submitted_by.values() if uid is not None}),
                User.role == Role.CLINICIAN,
            )
        )
    )
    named: set[uuid.UUID] = set()
    for alert in alerts:
        source = alert.response_id or alert.intake_id
        by = submitted_by.get(source) if source is not None else None
        author = None
        if by is not None and by == patient.user_id:
            author = {"reference": fhir.urn(patient.id)}
        elif by is not None and by in clinicians:
            author = {"reference": fhir.urn(by)}
            named.add(by)
        builder.add(fhir.flag_resource(alert, patient, systems, author=author))
    exported = {r.id for r in responses}
    response_of = {a.id: a.response_id for a in alerts}
    for assessment in assessments:
        basis = response_of.get(assessment.alert_id) if assessment.alert_id is not None else None
        builder.add(
            fhir.risk_assessment_resource(
                assessment, patient, systems, basis=basis if basis in exported else None
            )
        )
        if assessment.assessed_by_id is not None:
            named.add(assessment.assessed_by_id)
    return named


def record_bundle(session: Session, patient: Patient, *, base_url: str) -> dict[str, Any]:
    """The patient's record as a validated FHIR ``collection`` Bundle (access already checked)."""
    systems = fhir.ClinicSystems(base_url)
    builder = fhir.BundleBuilder(systems)
    builder.add(fhir.patient_resource(patient, systems))
    responses = records.responses(session, patient)
    builder.extend(fhir.questionnaire_resources(responses, patient, systems))
    plan = plans.signed_plan(session, patient)
    if plan is not None:
        builder.add(fhir.care_plan_resource(plan, patient, systems, today=patient.local_today()))
    appointments = appointments_of(session, patient)
    for appointment in appointments:
        builder.add(
            fhir.appointment_resource(
                appointment, patient, systems, type_label=_appointment_label(appointment.appointment_type)
            )
        )
    clinician_ids = {c.id for c in records.care_team(session, patient)}
    clinician_ids |= {a.clinician_id for a in appointments}
    clinician_ids |= _safety_resources(session, patient, builder, responses)
    if plan is not None and plan.signed_by_id:
        clinician_ids.add(plan.signed_by_id)
    for clinician in session.scalars(select(User).where(User.id.in_(clinician_ids)).order_by(User.full_name)):
        builder.add(fhir.practitioner_resource(clinician, systems))
    now = utcnow()
    return fhir.validated(builder.bundle(bundle_id=uuid.uuid4(), at=now))


def patient_bundle(
    session: Session, actor: User, patient_id: uuid.UUID, *, base_url: str, reason: str | None = None
) -> dict[str, Any]:
    """Export a patient's record as FHIR R4 (care team, the patient themself, or an admin giving a reason)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.EXPORT, resource_type="fhir_bundle", reason=reason
    )
    return record_bundle(session, patient, base_url=base_url)


def response_bundle(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    *,
    base_url: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """One completed questionnaire as a Bundle: its QuestionnaireResponse, its score Observation, the Patient."""
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.EXPORT,
        resource_type="fhir_questionnaire_response",
        resource_id=response_id,
        reason=reason,
    )
    response = session.scalar(
        select(QuestionnaireResponse).where(
            QuestionnaireResponse.id == response_id, QuestionnaireResponse.patient_id == patient.id
        )
    )
    if response is None:
        raise NotFound("No such questionnaire response for this patient.")
    systems = fhir.ClinicSystems(base_url)
    builder = fhir.BundleBuilder(systems)
    builder.add(fhir.patient_resource(patient, systems))
    builder.extend(fhir.questionnaire_resources([response], patient, systems))
    return fhir.validated(builder.bundle(bundle_id=uuid.uuid4(), at=utcnow()))
