"""FHIR R4 export: a patient's record as a Bundle, and each completed questionnaire on its own.

What is exported
----------------
- ``Patient``: name, birth date, email and phone, with the clinic's patient id as identifier.
- ``Practitioner`` for each clinician the record refers to (care team, plan signer, appointments), so every
  reference resolves inside the Bundle.
- ``QuestionnaireResponse`` for each completed questionnaire: one item per question (linkId = item number,
  the item's neutral label as text; a declined item is listed without an answer). ``questionnaire`` is the
  clinic's own canonical URL ``<base_url>/fhir/Questionnaire/<instrument>``, never a LOINC form
  (``http://loinc.org/q/<panel>``): the Questionnaires LOINC publishes for its panels use their own linkIds
  (LOINC question ids in some versions, ``/<item code>`` in others), so a response claiming one would be
  rejected by a receiver checking it against the form. Where the instrument's items and answer list have
  confirmed LOINC codes (PHQ-9, GAD-7: answer list LL358-3), the answer is a LOINC answer ``valueCoding``
  (LA6568-5 ... LA6571-9) carrying its points in the ``ordinalValue`` extension; otherwise it is an integer.
  The panel's LOINC code stays on the score Observation.
- ``Observation`` (category ``survey``) for each completed questionnaire: the total score as
  ``valueQuantity``, its band as ``interpretation``, each subscale as a ``component``, ``derivedFrom`` the
  response. Codes are LOINC where the instrument definition gives a confirmed code (PHQ-9 44261-6, GAD-7
  70274-6, ODI 97909-6, PEG 91147-9, STarT Back 91351-7, BPI interference 77565-0); nothing is invented.
  Where no LOINC code exists (RMDQ, PCS, TSK-11, PSEQ, CSI, and every subscale but BPI interference and the
  STarT Back distress subscore 91350-9) the code is in the clinic's local code system
  ``<base_url>/fhir/CodeSystem/painrewire-scores`` (codes ``<instrument>-total`` and
  ``<instrument>-<subscale>``), which a receiving system can map.
- A second ``Observation`` for the STarT Back risk level (LOINC 91352-5, low/medium/high as the LOINC answer
  codes LA9194-7/LA8982-6/LA9193-9), derived from the response, beside its total score (91351-7) with the
  distress subscore (91350-9) as a component.
- ``CarePlan`` from the current signed plan: one activity per module with its weekly dose and duration.
- ``Appointment`` for each appointment, with the patient and clinician as participants.
- ``Flag`` for each safety alert: ``active`` while open, ``inactive`` once a clinician closed it; categories
  ``clinical`` and ``safety`` (http://terminology.hl7.org/CodeSystem/flag-category); the code in the clinic's
  local system ``<base_url>/fhir/CodeSystem/painrewire-alert-kinds`` with the alert's summary as text;
  ``period`` from raised to closed; ``author`` the person who gave the answers that raised it, where known.
- ``RiskAssessment`` for each clinician-completed suicide and self-harm risk assessment: ``final``, performed
  by the clinician, with one prediction whose ``qualitativeRisk`` is the clinician's judgement in the HL7
  risk-probability code system (low, moderate, high); the actions as ``mitigation``, the domains and the note
  as ``note``; ``basis`` the questionnaire response behind the alert it answered.

The resources are built as plain JSON and checked against the ``fhir.resources`` models. The installed
``fhir.resources`` (8.x) ships FHIR R5 as default and R4B (4.3.0) as ``fhir.resources.R4B``; there is no
separate R4 (4.0.1) package in it. The resources used here (Patient, Practitioner, QuestionnaireResponse,
Observation, CarePlan, Appointment, Flag, RiskAssessment, Bundle) did not change between R4 and R4B, so they are
validated with the R4B models and declared as R4 (``meta.profile`` is not set; ``fhirVersion`` is the server's
business).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from painrewire.accounts.models import User
from painrewire.assessments.models import QuestionnaireResponse, SafetyAlert
from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion
from painrewire.reports.instruments import InstrumentFacts, instrument_facts
from painrewire.reports.records import ALERT_KINDS, discipline_label, module_label
from painrewire.risk.models import RiskAssessment, RiskLevel
from painrewire.risk.service import DOMAINS, RISK_ACTIONS
from painrewire.scheduling.models import Appointment, AppointmentStatus

FHIR_MEDIA_TYPE = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
RISK_DISPLAY = {
    RiskLevel.LOW: "Low likelihood",
    RiskLevel.MODERATE: "Moderate likelihood",
    RiskLevel.HIGH: "High likelihood",
}
_NAMESPACE = uuid.UUID("5b0f7c1e-4a39-4d55-9d0b-6f1f2c3a9e10")

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
}


@dataclass(frozen=True)
class ClinicSystems:
    """The clinic's own URIs: identifiers, local codes and canonical questionnaires, under its base URL."""

    base_url: str

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/") + "/fhir"

    @property
    def scores(self) -> str:
        return f"{self.root}/CodeSystem/painrewire-scores"

    @property
    def modules(self) -> str:
        return f"{self.root}/CodeSystem/painrewire-modules"

    @property
    def appointment_types(self) -> str:
        return f"{self.root}/CodeSystem/painrewire-appointment-types"

    @property
    def disciplines(self) -> str:
        return f"{self.root}/CodeSystem/painrewire-disciplines"

    @property
    def alert_kinds(self) -> str:
        return f"{self.root}/CodeSystem/painrewire-alert-kinds"

    def identifier(self, kind: str) -> str:
        return f"{self.root}/identifier/{kind}"

    def questionnaire(self, facts: InstrumentFacts) -> str:
        """The clinic's own Questionnaire: its linkIds are the item numbers this export writes."""
        return f"{self.root}/Questionnaire/{facts.id}"


def urn(resource_id: uuid.UUID | str) -> str:
    return f"urn:uuid:{resource_id}"


def derived_id(source: uuid.UUID, kind: str) -> uuid.UUID:
    """A stable id for a resource made from a stored row (the same row exports the same id every time)."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{source}")


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _score_quantity(value: float, *, percent: bool = False) -> dict[str, Any]:
    return {
        "value": float(value),
        "unit": "%" if percent else "{score}",
        "system": UCUM,
        "code": "%" if percent else "{score}",
    }


def _score_code(
    facts: InstrumentFacts, systems: ClinicSystems, part: str, loinc: str | None
) -> dict[str, Any]:
    label = "total score" if part == "total" else f"{facts.subscale_names.get(part, part)} score"
    text = f"{facts.short_name} {label}"
    if loinc:
        return {"coding": [{"system": LOINC, "code": loinc, "display": text}], "text": text}
    return {
        "coding": [{"system": systems.scores, "code": f"{facts.id}-{part}", "display": text}],
        "text": text,
    }


def patient_resource(patient: Patient, systems: ClinicSystems) -> dict[str, Any]:
    user = patient.user
    telecom = [{"system": "email", "value": user.email, "use": "home"}]
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone, "use": "mobile"})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [{"system": systems.identifier("patient"), "value": str(patient.id)}],
        "active": user.is_active,
        "name": [{"text": user.full_name}],
        "telecom": telecom,
    }
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def practitioner_resource(clinician: User, systems: ClinicSystems) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(clinician.id),
        "identifier": [{"system": systems.identifier("clinician"), "value": str(clinician.id)}],
        "active": clinician.is_active,
        "name": [{"text": clinician.full_name}],
    }
    if clinician.discipline:
        resource["qualification"] = [
            {
                "code": {
                    "coding": [
                        {
                            "system": systems.disciplines,
                            "code": clinician.discipline.value,
                            "display": clinician.discipline.label,
                        }
                    ],
                    "text": clinician.discipline.label,
                }
            }
        ]
    return resource


def _answer(facts: InstrumentFacts, number: int, value: int) -> dict[str, Any]:
    """A LOINC answer code (with its points as ordinal value) where item and answer codes are confirmed."""
    code = facts.answer_loinc.get(value) if number in facts.item_loinc else None
    if code is None:
        return {"valueInteger": value}
    return {
        "valueCoding": {
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": value}],
            "system": LOINC,
            "code": code,
            "display": facts.answer_labels.get(value, str(value)),
        }
    }


def questionnaire_response_resource(
    response: QuestionnaireResponse, patient: Patient, systems: ClinicSystems
) -> dict[str, Any]:
    facts = instrument_facts(response.instrument_id)
    declined = set(response.declined_items)
    items = []
    for number, answer in enumerate(response.answers, start=1):
        item: dict[str, Any] = {
            "linkId": str(number),
            "text": facts.item_labels.get(number, f"Item {number}"),
        }
        if answer is not None:
            item["answer"] = [_answer(facts, number, int(answer))]
        elif number in declined:
            item["text"] += " (declined)"
        items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.id),
        "identifier": {"system": systems.identifier("questionnaire-response"), "value": str(response.id)},
        "questionnaire": systems.questionnaire(facts),
        "status": "completed",
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "authored": _instant(response.completed_at),
        "item": items,
    }
    if response.submitted_by_id == patient.user_id:
        resource["author"] = {"reference": urn(patient.id)}
        resource["source"] = {"reference": urn(patient.id)}
    return resource


def observation_id(response: QuestionnaireResponse) -> uuid.UUID:
    return derived_id(response.id, "observation-score")


def score_observation_resource(
    response: QuestionnaireResponse, patient: Patient, systems: ClinicSystems
) -> dict[str, Any]:
    """The questionnaire's score: total as the value, band as the interpretation, subscales as components."""
    facts = instrument_facts(response.instrument_id)
    if facts.loinc_total or response.total is not None:
        code = _score_code(facts, systems, "total", facts.loinc_total)
    else:  # an instrument scored by subscales only (BPI): the observation names the instrument
        text = f"{facts.short_name} scores"
        code = {"coding": [{"system": systems.scores, "code": facts.id, "display": text}], "text": text}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(observation_id(response)),
        "status": "final",
        "category": [
            {
                "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
                "text": "Survey",
            }
        ],
        "code": code,
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "effectiveDateTime": _instant(response.completed_at),
        "issued": _instant(response.completed_at),
        "derivedFrom": [{"reference": urn(response.id)}],
    }
    if response.total is not None:
        resource["valueQuantity"] = _score_quantity(response.total, percent=facts.total_is_percent)
    elif not response.valid:
        reason = "asked-declined" if response.declined_items else "error"
        resource["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": reason}]}
    if response.band:
        resource["interpretation"] = [{"text": response.band}]
    notes = list(response.messages) + [f"flag: {f}" for f in response.flags]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    components = [
        {
            "code": _score_code(facts, systems, name, facts.subscale_loinc.get(name)),
            "valueQuantity": _score_quantity(value),
        }
        for name, value in response.subscales.items()
        if value is not None
    ]
    if components:
        resource["component"] = components
    return resource


def risk_observation_resource(
    response: QuestionnaireResponse, patient: Patient, systems: ClinicSystems
) -> dict[str, Any] | None:
    """The risk level (STarT Back low/medium/high) as its own coded Observation, where LOINC codes it."""
    facts = instrument_facts(response.instrument_id)
    code = facts.risk_loinc.get(response.band or "")
    if facts.loinc_risk is None or code is None:
        return None
    text = f"{facts.short_name} risk level"
    return {
        "resourceType": "Observation",
        "id": str(derived_id(response.id, "observation-risk")),
        "status": "final",
        "category": [
            {
                "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
                "text": "Survey",
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": facts.loinc_risk, "display": text}], "text": text},
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "effectiveDateTime": _instant(response.completed_at),
        "issued": _instant(response.completed_at),
        "valueCodeableConcept": {
            "coding": [{"system": LOINC, "code": code, "display": str(response.band).capitalize()}],
            "text": str(response.band),
        },
        "derivedFrom": [{"reference": urn(response.id)}, {"reference": urn(observation_id(response))}],
    }


def care_plan_resource(
    version: PlanVersion, patient: Patient, systems: ClinicSystems, *, today: Any = None
) -> dict[str, Any]:
    from painrewire.plans.rules import PlanProposal

    proposal = PlanProposal.from_dict(version.content)
    end = version.starts_on + timedelta(weeks=proposal.end_week)
    started = today is None or version.starts_on <= today
    activities = []
    for module in proposal.modules:
        label = module_label(module.id)
        detail: dict[str, Any] = {
            "kind": "Task",
            "code": {
                "coding": [{"system": systems.modules, "code": module.id, "display": label}],
                "text": label,
            },
            "status": "in-progress" if started else "not-started",
            "scheduledTiming": {
                "repeat": {
                    "boundsDuration": {"value": module.weeks, "unit": "wk", "system": UCUM, "code": "wk"},
                    "frequency": module.sessions_per_week,
                    "period": 1,
                    "periodUnit": "wk",
                }
            },
            "description": f"{label}: {module.sessions_per_week} a week for {module.weeks} weeks"
            + (f" (focus: {', '.join(f.replace('_', ' ') for f in module.focus)})" if module.focus else ""),
        }
        activities.append({"detail": detail})
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(version.id),
        "identifier": [{"system": systems.identifier("plan-version"), "value": str(version.id)}],
        "status": "active",
        "intent": "plan",
        "title": f"Treatment plan, version {version.number}",
        "description": f"Intensity {proposal.intensity}; care from "
        + (", ".join(discipline_label(d) for d in proposal.disciplines) or "the care team")
        + ".",
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "period": {"start": version.starts_on.isoformat(), "end": end.isoformat()},
        "created": _instant(version.created_at),
        "activity": activities,
    }
    if version.signed_by_id:
        resource["author"] = {"reference": urn(version.signed_by_id)}
    reasons = [f.reason_clinician for f in proposal.fired]
    if reasons:
        resource["note"] = [{"text": r} for r in reasons]
    return resource


def appointment_resource(
    appointment: Appointment, patient: Patient, systems: ClinicSystems, *, type_label: str | None = None
) -> dict[str, Any]:
    label = type_label or appointment.appointment_type.replace("_", " ")
    status = APPOINTMENT_STATUS[appointment.status]
    participant_status = "declined" if status == "cancelled" else "accepted"
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.id),
        "identifier": [{"system": systems.identifier("appointment"), "value": str(appointment.id)}],
        "status": status,
        "serviceType": [
            {
                "coding": [
                    {
                        "system": systems.appointment_types,
                        "code": appointment.appointment_type,
                        "display": label,
                    }
                ],
                "text": label,
            }
        ],
        "description": f"{label} ({appointment.mode.label.lower()})",
        "start": _instant(appointment.starts_at),
        "end": _instant(appointment.ends_at),
        "minutesDuration": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "created": _instant(appointment.created_at),
        "participant": [
            {"actor": {"reference": urn(patient.id)}, "required": "required", "status": participant_status},
            {
                "actor": {"reference": urn(appointment.clinician_id)},
                "required": "required",
                "status": participant_status,
            },
        ],
    }
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    return resource


def flag_resource(
    alert: SafetyAlert, patient: Patient, systems: ClinicSystems, *, author: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A safety alert as a Flag: active while open; ``author`` a reference to who gave the answers, if known."""
    label = ALERT_KINDS.get(alert.kind, alert.kind.value)
    period: dict[str, str] = {"start": _instant(alert.raised_at)}
    if alert.acknowledged_at is not None:
        period["end"] = _instant(alert.acknowledged_at)
    resource: dict[str, Any] = {
        "resourceType": "Flag",
        "id": str(alert.id),
        "identifier": [{"system": systems.identifier("safety-alert"), "value": str(alert.id)}],
        "status": "active" if alert.is_open else "inactive",
        "category": [
            {"coding": [{"system": FLAG_CATEGORY, "code": code, "display": display}], "text": display}
            for code, display in (("clinical", "Clinical"), ("safety", "Safety"))
        ],
        "code": {
            "coding": [{"system": systems.alert_kinds, "code": alert.kind.value, "display": label}],
            "text": f"{label} ({alert.urgency}): {alert.summary}",
        },
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "period": period,
    }
    if author is not None:
        resource["author"] = author
    return resource


def risk_assessment_resource(
    assessment: RiskAssessment,
    patient: Patient,
    systems: ClinicSystems,
    *,
    basis: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A clinician's risk assessment: the judgement as the prediction's qualitative risk, the actions as mitigation."""
    level = assessment.risk_level
    domains = "; ".join(
        f"{label}: {'yes' if getattr(assessment, name) else 'no'}" for name, label in DOMAINS.items()
    )
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": str(assessment.id),
        "identifier": [{"system": systems.identifier("risk-assessment"), "value": str(assessment.id)}],
        "status": "final",
        "code": {"text": "Suicide and self-harm risk assessment (clinician-completed)"},
        "subject": {"reference": urn(patient.id), "display": patient.user.full_name},
        "occurrenceDateTime": _instant(assessment.assessed_at),
        "prediction": [
            {
                "outcome": {"text": "Suicide or self-harm"},
                "qualitativeRisk": {
                    "coding": [
                        {"system": RISK_PROBABILITY, "code": level.value, "display": RISK_DISPLAY[level]}
                    ],
                    "text": RISK_DISPLAY[level],
                },
            }
        ],
        "mitigation": "; ".join(RISK_ACTIONS.get(a, a) for a in assessment.actions),
        "note": [
            {"text": domains},
            {"text": f"Protective factors: {assessment.protective_factors}"},
            {"text": f"Access to means: {assessment.access_to_means}"},
            {"text": assessment.note},
        ],
    }
    if assessment.judgement_reason:
        resource["note"].append(
            {
                "text": f"Judged lower than the answers point to ({assessment.indicated_level.value}): "
                f"{assessment.judgement_reason}"
            }
        )
    if assessment.assessed_by_id is not None:
        resource["performer"] = {"reference": urn(assessment.assessed_by_id)}
    if basis is not None:
        resource["basis"] = [{"reference": urn(basis)}]
    return resource


@dataclass
class BundleBuilder:
    """Collects resources once each, by id, and makes a ``collection`` Bundle of them."""

    systems: ClinicSystems
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, resource: dict[str, Any]) -> None:
        self.entries.setdefault(resource["id"], resource)

    def extend(self, resources: Iterable[dict[str, Any]]) -> None:
        for resource in resources:
            self.add(resource)

    def bundle(self, *, bundle_id: uuid.UUID, at: datetime) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "id": str(bundle_id),
            "identifier": {"system": self.systems.identifier("export"), "value": str(bundle_id)},
            "type": "collection",
            "timestamp": _instant(at),
            "entry": [{"fullUrl": urn(rid), "resource": res} for rid, res in self.entries.items()],
        }


def validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """Check the Bundle and every resource in it against the FHIR models; return the JSON to send.

    A failure here is a programming error (the builders make every field), never a patient's input.
    """
    model = Bundle.model_validate(bundle)
    for entry in model.entry or []:
        if not isinstance(entry.resource, Resource):
            raise ValueError(f"bundle entry {entry.fullUrl} holds no resource")
    return bundle


def questionnaire_resources(
    responses: Sequence[QuestionnaireResponse], patient: Patient, systems: ClinicSystems
) -> list[dict[str, Any]]:
    resources = []
    for response in responses:
        resources.append(questionnaire_response_resource(response, patient, systems))
        resources.append(score_observation_resource(response, patient, systems))
        risk = risk_observation_resource(response, patient, systems)
        if risk is not None:
            resources.append(risk)
    return resources
