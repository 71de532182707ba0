"""Exports of a patient's record: the FHIR R4 Bundle and a single questionnaire's FHIR resources.

Every export goes through the one permission check and writes one ``export`` audit row.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.assessments.models import QuestionnaireResponse
from painrewire.db import utcnow
from painrewire.diary.service import local_today
from painrewire.errors import NotFound
from painrewire.interop import fhir
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.reports import records
from painrewire.scheduling.catalogue import catalogue
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


def record_bundle(session: Session, patient: Patient, *, base_url: str) -> dict[str, Any]:
    """The patient's record as a validated FHIR ``collection`` Bundle (access already checked)."""
    systems = fhir.ClinicSystems(base_url)
    builder = fhir.BundleBuilder(systems)
    builder.add(fhir.patient_resource(patient, systems))
    responses = records.responses(session, patient)
    builder.extend(fhir.questionnaire_resources(responses, patient, systems))
    plan = records.signed_plan(session, patient)
    if plan is not None:
        builder.add(fhir.care_plan_resource(plan, patient, systems, today=local_today(patient)))
    appointments = appointments_of(session, patient)
    for appointment in appointments:
        builder.add(
            fhir.appointment_resource(
                appointment, patient, systems, type_label=_appointment_label(appointment.appointment_type)
            )
        )
    clinician_ids = {c.id for c in records.care_team(session, patient)}
    clinician_ids |= {a.clinician_id for a in appointments}
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
