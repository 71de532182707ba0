"""FHIR R4 export: every resource parses back with fhir.resources, codes come from the instrument definitions,
references resolve inside the Bundle, and every export is audited and refused to outsiders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.assessments.instruments import INSTRUMENT_IDS, get_instrument
from painrewire.assessments.scoring import score
from painrewire.interop import fhir
from painrewire.interop import service as exports
from painrewire.patients.models import Patient
from tests.reports.seed import Seeded, response, seed_patient

BASE = "https://clinic.example.org"
SCORES = f"{BASE}/fhir/CodeSystem/painrewire-scores"
MODELS = {
    "Patient": FhirPatient,
    "Practitioner": Practitioner,
    "QuestionnaireResponse": FhirQuestionnaireResponse,
    "Observation": Observation,
    "CarePlan": CarePlan,
    "Appointment": FhirAppointment,
}


@pytest.fixture
def seeded(session: Session, clinician: User) -> Seeded:
    return seed_patient(session, clinician)


@pytest.fixture
def bundle(session: Session, clinician: User, seeded: Seeded) -> dict[str, Any]:
    return exports.patient_bundle(session, clinician, seeded.patient.id, base_url=BASE)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


class TestBundle:
    def test_the_bundle_and_every_resource_parse_back_as_fhir(self, bundle: dict[str, Any]) -> None:
        parsed = Bundle.model_validate(bundle)
        assert parsed.type == "collection"
        kinds = sorted({e["resource"]["resourceType"] for e in bundle["entry"]})
        assert kinds == sorted(MODELS)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            model = MODELS[resource["resourceType"]].model_validate(resource)
            assert model.id == resource["id"]
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
            again = MODELS[resource["resourceType"]].model_validate_json(
                model.model_dump_json(exclude_none=True)
            )
            assert again.id == model.id

    def test_every_reference_resolves_inside_the_bundle(self, bundle: dict[str, Any]) -> None:
        full_urls = {e["fullUrl"] for e in bundle["entry"]}
        refs = references([e["resource"] for e in bundle["entry"]])
        assert refs
        assert set(refs) <= full_urls

    def test_ids_are_unique(self, bundle: dict[str, Any]) -> None:
        urls = [e["fullUrl"] for e in bundle["entry"]]
        assert len(urls) == len(set(urls))

    def test_the_patient_resource_carries_the_record_identity(
        self, bundle: dict[str, Any], seeded: Seeded
    ) -> None:
        [patient] = resources(bundle, "Patient")
        assert patient["name"] == [{"text": seeded.name}]
        assert patient["birthDate"] == "1980-02-29"
        assert {t["value"] for t in patient["telecom"]} == {seeded.email, seeded.phone}

    def test_each_questionnaire_is_a_response_and_a_score_observation(
        self, bundle: dict[str, Any], seeded: Seeded
    ) -> None:
        qrs = {r["id"]: r for r in resources(bundle, "QuestionnaireResponse")}
        observations = resources(bundle, "Observation")
        assert len(qrs) == len(observations) == 4
        for obs in observations:
            [derived] = obs["derivedFrom"]
            assert derived["reference"].removeprefix("urn:uuid:") in qrs
            assert obs["status"] == "final"
            assert obs["category"][0]["coding"][0]["code"] == "survey"

    def test_phq9_answers_carry_loinc_answer_codes_and_the_total_its_loinc_code(
        self, bundle: dict[str, Any], seeded: Seeded
    ) -> None:
        qr = next(
            r for r in resources(bundle, "QuestionnaireResponse") if r["id"] == str(seeded.phq9_first.id)
        )
        # Not the LOINC form (its published Questionnaires use other linkIds): the clinic's own, whose
        # linkIds are the item numbers, and the answers as LOINC answer list LL358-3 codes.
        assert qr["questionnaire"] == f"{BASE}/fhir/Questionnaire/phq9"
        assert qr["status"] == "completed"
        assert [i["linkId"] for i in qr["item"]] == [str(n) for n in range(1, 10)]
        codings = [i["answer"][0]["valueCoding"] for i in qr["item"]]
        assert [c["code"] for c in codings] == [
            *["LA6570-1"] * 6,  # More than half the days (2)
            "LA6569-3",  # Several days (1)
            "LA6570-1",
            "LA6568-5",  # Not at all (0)
        ]
        assert {c["system"] for c in codings} == {"http://loinc.org"}
        assert codings[6]["display"] == "Several days"
        assert [c["extension"][0]["valueDecimal"] for c in codings] == [2, 2, 2, 2, 2, 2, 1, 2, 0]
        obs = next(
            o for o in resources(bundle, "Observation") if o["derivedFrom"][0]["reference"].endswith(qr["id"])
        )
        assert obs["code"]["coding"] == [
            {"system": "http://loinc.org", "code": "44261-6", "display": "PHQ-9 total score"}
        ]
        assert obs["valueQuantity"]["value"] == 15
        assert obs["interpretation"] == [{"text": "moderately severe"}]

    def test_bpi_subscales_are_components_and_only_interference_has_a_loinc_code(
        self, bundle: dict[str, Any], seeded: Seeded
    ) -> None:
        obs = next(
            o
            for o in resources(bundle, "Observation")
            if o["derivedFrom"][0]["reference"].endswith(str(seeded.bpi_latest.id))
        )
        assert "valueQuantity" not in obs
        assert obs["code"]["coding"][0]["system"] == SCORES
        components = {c["code"]["coding"][0]["code"]: c for c in obs["component"]}
        assert components["77565-0"]["code"]["coding"][0]["system"] == "http://loinc.org"
        assert components["77565-0"]["valueQuantity"]["value"] == 3.4
        assert components["bpi-severity"]["code"]["coding"][0]["system"] == SCORES
        assert components["bpi-severity"]["valueQuantity"]["value"] == 3.0
        qr = next(
            r for r in resources(bundle, "QuestionnaireResponse") if r["id"] == str(seeded.bpi_latest.id)
        )
        # The BPI panel code is unconfirmed in the definition, so the clinic's canonical URL is used.
        assert qr["questionnaire"] == f"{BASE}/fhir/Questionnaire/bpi"

    def test_the_care_plan_is_the_signed_plan(self, bundle: dict[str, Any], seeded: Seeded) -> None:
        [plan] = resources(bundle, "CarePlan")
        CarePlan.model_validate(plan)
        assert plan["id"] == str(seeded.plan.id)
        assert (plan["status"], plan["intent"]) == ("active", "plan")
        assert plan["period"] == {
            "start": seeded.plan.starts_on.isoformat(),
            "end": (seeded.plan.starts_on + timedelta(weeks=4)).isoformat(),
        }
        doses = {
            a["detail"]["code"]["coding"][0]["code"]: a["detail"]["scheduledTiming"]["repeat"]
            for a in plan["activity"]
        }
        assert doses["prt"]["frequency"] == 2 and doses["mindfulness"]["frequency"] == 3
        assert doses["prt"]["boundsDuration"]["value"] == 4

    def test_appointments_keep_their_status(self, bundle: dict[str, Any], seeded: Seeded) -> None:
        by_id = {a["id"]: a for a in resources(bundle, "Appointment")}
        statuses = [by_id[str(a.id)]["status"] for a in seeded.appointments]
        assert statuses == ["fulfilled", "booked", "cancelled"]
        first = by_id[str(seeded.appointments[0].id)]
        assert first["minutesDuration"] == 50
        assert first["serviceType"][0]["text"] == "Initial assessment"

    def test_an_empty_record_is_still_a_valid_bundle(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        bundle = exports.patient_bundle(session, clinician, patient.id, base_url=BASE)
        Bundle.model_validate(bundle)
        assert sorted(e["resource"]["resourceType"] for e in bundle["entry"]) == ["Patient", "Practitioner"]


class TestCodesComeFromTheDefinitions:
    @pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
    def test_the_score_code_is_the_definitions_loinc_total_or_the_clinics_local_code(
        self, instrument_id: str, session: Session, patient: Patient
    ) -> None:
        definition = get_instrument(instrument_id)
        answers = [min(item.values) for item in definition.items]
        stored = response(patient, instrument_id, date(2026, 5, 1), answers, total=1.0)
        session.add(stored)
        session.flush()
        systems = fhir.ClinicSystems(BASE)
        obs = fhir.score_observation_resource(stored, patient, systems)
        Observation.model_validate(obs)
        [coding] = obs["code"]["coding"]
        if definition.loinc.total:
            assert coding == {
                "system": "http://loinc.org",
                "code": definition.loinc.total,
                "display": coding["display"],
            }
        else:
            assert coding["system"] == SCORES and coding["code"] == f"{instrument_id}-total"
        qr = fhir.questionnaire_response_resource(stored, patient, systems)
        FhirQuestionnaireResponse.model_validate(qr)
        assert qr["questionnaire"] == f"{BASE}/fhir/Questionnaire/{instrument_id}"
        assert "loinc.org/q/" not in str(qr)

    @pytest.mark.parametrize(
        ("answers", "total", "distress", "risk", "risk_code"),
        [
            # Items 1-8 agree = 1; item 9 "extremely" (4) counts 1: total 7, distress (items 5-9) 5: high.
            ([1, 1, 0, 0, 1, 1, 1, 1, 4], 7, 5, "high", "LA9193-9"),
            # Total 6 (item 9 "very much" counts 1), distress 0+0+0+1+1 = 2: medium.
            ([1, 1, 1, 1, 0, 0, 0, 1, 3], 6, 2, "medium", "LA8982-6"),
            # Total 2: low whatever the distress subscore.
            ([1, 0, 0, 0, 0, 0, 0, 0, 3], 2, 1, "low", "LA9194-7"),
        ],
    )
    def test_start_back_exports_total_distress_and_risk_level_with_loinc_codes(
        self,
        session: Session,
        patient: Patient,
        answers: list[int],
        total: int,
        distress: int,
        risk: str,
        risk_code: str,
    ) -> None:
        result = score("startback", answers)
        assert (result.total, result.subscales, result.band) == (total, {"psychosocial": distress}, risk)
        stored = response(
            patient,
            "startback",
            date(2026, 5, 1),
            list(answers),
            total=float(total),
            band=risk,
            subscales={"psychosocial": float(distress)},
        )
        session.add(stored)
        session.flush()
        found = fhir.questionnaire_resources([stored], patient, fhir.ClinicSystems(BASE))
        [qr, score_obs, risk_obs] = found
        for obs in (score_obs, risk_obs):
            Observation.model_validate(obs)
        assert qr["questionnaire"] == f"{BASE}/fhir/Questionnaire/startback"
        assert score_obs["code"]["coding"][0]["code"] == "91351-7"
        assert score_obs["valueQuantity"]["value"] == total
        [component] = score_obs["component"]
        assert component["code"]["coding"][0]["system"] == "http://loinc.org"
        assert component["code"]["coding"][0]["code"] == "91350-9"
        assert component["valueQuantity"]["value"] == distress
        assert risk_obs["code"]["coding"] == [
            {"system": "http://loinc.org", "code": "91352-5", "display": "STarT Back risk level"}
        ]
        assert risk_obs["valueCodeableConcept"]["coding"][0]["code"] == risk_code
        assert risk_obs["valueCodeableConcept"]["text"] == risk
        assert risk_obs["derivedFrom"][0]["reference"] == f"urn:uuid:{stored.id}"

    def test_unconfirmed_codes_are_never_exported(self, bundle: dict[str, Any]) -> None:
        unconfirmed = {code for i in INSTRUMENT_IDS for code in get_instrument(i).loinc.unconfirmed.values()}
        text = str(bundle)
        assert unconfirmed and not any(code in text for code in unconfirmed)


class TestApi:
    def test_the_care_team_downloads_the_bundle_and_the_export_is_audited(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User, seeded: Seeded
    ) -> None:
        session.commit()
        response = as_user(clinician).get(f"/api/v1/patients/{seeded.patient.id}/fhir")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+json")
        disposition = response.headers["content-disposition"]  # a file to save, not raw JSON in the tab
        assert disposition == f'attachment; filename="patient-record-{seeded.patient.id}.fhir.json"'
        Bundle.model_validate(response.json())
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.EXPORT, AuditEvent.resource_type == "fhir_bundle"
            )
        ).all()
        assert [(a.actor_id, a.patient_id) for a in audit] == [(clinician.id, seeded.patient.id)]

    def test_one_response_exports_on_its_own(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User, seeded: Seeded
    ) -> None:
        session.commit()
        url = f"/api/v1/patients/{seeded.patient.id}/responses/{seeded.phq9_latest.id}/fhir"
        body = as_user(clinician).get(url).json()
        Bundle.model_validate(body)
        assert sorted(e["resource"]["resourceType"] for e in body["entry"]) == [
            "Observation",
            "Patient",
            "QuestionnaireResponse",
        ]
        assert set(references([e["resource"] for e in body["entry"]])) <= {
            e["fullUrl"] for e in body["entry"]
        }
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.resource_type == "fhir_questionnaire_response")
        )
        assert [a.resource_id for a in audit] == [str(seeded.phq9_latest.id)]

    def test_the_patient_may_export_their_own_record(
        self, as_user: Callable[..., TestClient], session: Session, seeded: Seeded
    ) -> None:
        session.commit()
        assert (
            as_user(seeded.patient.user).get(f"/api/v1/patients/{seeded.patient.id}/fhir").status_code == 200
        )

    def test_outsiders_get_404_and_nothing_of_the_record(
        self,
        as_user: Callable[..., TestClient],
        session: Session,
        seeded: Seeded,
        other_clinician: User,
        other_patient: Patient,
    ) -> None:
        session.commit()
        for outsider in (other_clinician, other_patient.user):
            for url in (
                f"/api/v1/patients/{seeded.patient.id}/fhir",
                f"/api/v1/patients/{seeded.patient.id}/responses/{seeded.phq9_latest.id}/fhir",
            ):
                response = as_user(outsider).get(url)
                assert response.status_code == 404
                assert seeded.name not in response.text

    def test_a_response_of_another_patient_is_not_found_through_this_patient(
        self,
        as_user: Callable[..., TestClient],
        session: Session,
        clinician: User,
        seeded: Seeded,
        patient: Patient,
    ) -> None:
        session.commit()
        response = as_user(clinician).get(
            f"/api/v1/patients/{patient.id}/responses/{seeded.phq9_latest.id}/fhir"
        )
        assert response.status_code == 404

    def test_an_admin_needs_a_reason(
        self, as_user: Callable[..., TestClient], session: Session, admin: User, seeded: Seeded
    ) -> None:
        session.commit()
        client = as_user(admin)
        assert client.get(f"/api/v1/patients/{seeded.patient.id}/fhir").status_code == 403
        given = client.get(
            f"/api/v1/patients/{seeded.patient.id}/fhir", params={"reason": "Transfer to St Mary's"}
        )
        assert given.status_code == 200
        reasons = session.scalars(
            select(AuditEvent.reason).where(AuditEvent.resource_type == "fhir_bundle")
        ).all()
        assert reasons == ["Transfer to St Mary's"]
