"""Safety alerts and risk records leave the clinic with the record: FHIR Flags and RiskAssessments, the patient's
download, and erasure removes them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.riskassessment import RiskAssessment as FhirRiskAssessment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, User
from painrewire.assessments import alerts
from painrewire.assessments import service as assessments
from painrewire.config import Settings
from painrewire.interop import erasure, personal_data
from painrewire.interop import service as exports
from painrewire.patients.models import Patient
from painrewire.risk.models import RiskAssessment, SafetyPlan
from tests.risk.factories import WARNING_SIGN, make_assessment, make_plan, member, positive_phq9

BASE = "https://clinic.example.org"
NOTE = "Spoke with him today; safety plan reviewed together."


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


class TestFhir:
    def test_an_open_alert_a_closed_one_and_a_risk_assessment_are_valid_fhir(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        closed = positive_phq9(session, patient)
        alerts.acknowledge_alert(
            session, clinician, closed.id, action="risk_assessed_safety_plan", note=NOTE, settings=settings
        )
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        assessment = make_assessment(
            session,
            psychologist,
            patient,
            settings,
            suicidal_thoughts=True,
            method=True,
            risk_level="moderate",
            alert_id=str(closed.id),
        )
        opened = positive_phq9(session, patient)
        bundle = exports.patient_bundle(session, clinician, patient.id, base_url=BASE)
        Bundle.model_validate(bundle)

        flags = {f["id"]: f for f in resources(bundle, "Flag")}
        assert set(flags) == {str(closed.id), str(opened.id)}
        for flag in flags.values():
            assert Flag.model_validate(flag).id == flag["id"]
        active = flags[str(opened.id)]
        assert active["status"] == "active"
        assert [c["coding"][0]["code"] for c in active["category"]] == ["clinical", "safety"]
        assert (
            active["category"][0]["coding"][0]["system"]
            == "http://terminology.hl7.org/CodeSystem/flag-category"
        )
        assert active["code"]["coding"][0]["code"] == "self_harm_risk"
        assert "Self-harm answer (urgent): PHQ-9 item 9" in active["code"]["text"]
        assert active["subject"]["reference"] == f"urn:uuid:{patient.id}"
        assert active["author"] == {"reference": f"urn:uuid:{patient.id}"}  # the patient gave the answer
        assert "end" not in active["period"]
        inactive = flags[str(closed.id)]
        assert inactive["status"] == "inactive" and inactive["period"]["end"] >= inactive["period"]["start"]

        [risk] = resources(bundle, "RiskAssessment")
        assert FhirRiskAssessment.model_validate(risk).status == "final"
        assert risk["id"] == str(assessment.id)
        assert risk["subject"]["reference"] == f"urn:uuid:{patient.id}"
        assert risk["performer"] == {"reference": f"urn:uuid:{psychologist.id}"}
        assert risk["occurrenceDateTime"].startswith(assessment.assessed_at.date().isoformat())
        [coding] = risk["prediction"][0]["qualitativeRisk"]["coding"]
        assert coding == {
            "system": "http://terminology.hl7.org/CodeSystem/risk-probability",
            "code": "moderate",
            "display": "Moderate likelihood",
        }
        assert risk["basis"] == [{"reference": f"urn:uuid:{closed.response_id}"}]
        assert "Safety plan made or reviewed with the patient" in risk["mitigation"]

        ids = {e["fullUrl"] for e in bundle["entry"]}
        assert set(references(bundle["entry"])) <= ids  # the psychologist is a Practitioner in the Bundle

    def test_a_paper_entry_flag_names_the_clinician_who_entered_it(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        physio = member(session, patient, Discipline.PHYSICAL_THERAPIST)
        [unasked] = assessments.submit_response(session, physio, patient.id, "phq9", [0] * 8 + [None]).alerts
        bundle = exports.patient_bundle(session, clinician, patient.id, base_url=BASE)
        [flag] = resources(bundle, "Flag")
        assert flag["id"] == str(unasked.id) and flag["code"]["coding"][0]["code"] == "self_harm_unasked"
        assert flag["author"] == {"reference": f"urn:uuid:{physio.id}"}
        assert str(physio.id) in {p["id"] for p in resources(bundle, "Practitioner")}


def test_the_download_carries_the_plan_and_the_risk_assessment(
    session: Session, patient: Patient, clinician: User, settings: Settings
) -> None:
    make_plan(session, clinician, patient, settings)
    made = make_assessment(session, clinician, patient, settings)
    tables = personal_data.collect(session, patient)["tables"]
    [plan] = tables["safety_plans"]
    assert WARNING_SIGN in plan["warning_signs"]
    [assessment] = tables["risk_assessments"]
    assert assessment["note"] == made.note and assessment["risk_level"] == "low"


def test_erasure_removes_the_plans_and_risk_assessments(
    session: Session,
    patient: Patient,
    other_patient: Patient,
    clinician: User,
    other_clinician: User,
    settings: Settings,
) -> None:
    make_plan(session, clinician, patient, settings)
    make_plan(session, clinician, patient, settings)
    make_assessment(session, clinician, patient, settings, alert_id=str(positive_phq9(session, patient).id))
    make_plan(session, other_clinician, other_patient, settings)
    removed = erasure.erase(session, patient)
    assert removed["safety_plans"] == 2 and removed["risk_assessments"] == 1
    for table in (SafetyPlan, RiskAssessment):
        left = session.scalar(select(func.count()).select_from(table).where(table.patient_id == patient.id))
        assert left == 0
    assert session.scalar(select(func.count()).select_from(SafetyPlan)) == 1  # the other patient's stays
    assert WARNING_SIGN not in json.dumps(personal_data.collect(session, patient))


def test_a_plan_written_long_ago_is_still_exported(
    session: Session, patient: Patient, clinician: User, settings: Settings
) -> None:
    from painrewire.db import utcnow

    make_plan(session, clinician, patient, settings, at=utcnow() - timedelta(days=400))
    assert len(personal_data.collect(session, patient)["tables"]["safety_plans"]) == 1
