"""CBT JSON API: the same records for apps and reports, under the same permission check."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from painrewire.accounts.models import User
from painrewire.patients.models import Patient

RECORD = {
    "situation": "Twinge while gardening",
    "automatic_thought": "I have ruined my week",
    "feelings": [{"feeling": "worried", "intensity": 70}],
    "distortions": ["catastrophising", "overgeneralising"],
    "rerated_feelings": [{"feeling": "worried", "intensity": 30}],
    "minutes": 5,
}


def test_a_patient_writes_a_record_and_the_clinician_reads_it_and_its_trend(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User
) -> None:
    created = as_user(patient.user).post(f"/api/v1/patients/{patient.id}/cbt/thought-records", json=RECORD)
    assert created.status_code == 201, created.text
    doctor = as_user(clinician)
    [record] = doctor.get(f"/api/v1/patients/{patient.id}/cbt/thought-records").json()
    assert record["automatic_thought"] == "I have ruined my week"
    assert record["rerated_feelings"] == [{"feeling": "worried", "intensity": 30}]
    one = doctor.get(f"/api/v1/patients/{patient.id}/cbt/thought-records/{record['id']}")
    assert one.status_code == 200
    trend = doctor.get(f"/api/v1/patients/{patient.id}/cbt/distortion-trend").json()
    assert trend["weeks"][-1]["counts"] == {"catastrophising": 1, "overgeneralising": 1}
    assert trend["most_common"] == ["catastrophising", "overgeneralising"]


def test_validation_names_the_field(as_user: Callable[..., TestClient], patient: Patient) -> None:
    bad = {**RECORD, "automatic_thought": "", "feelings": [{"feeling": "worried", "intensity": 101}]}
    response = as_user(patient.user).post(f"/api/v1/patients/{patient.id}/cbt/thought-records", json=bad)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d.startswith("automatic_thought:") for d in detail)
    assert any(d.startswith("feelings.0.intensity:") for d in detail)


def test_another_patient_cannot_read_a_patients_thought_record(
    as_user: Callable[..., TestClient], patient: Patient, other_patient: Patient
) -> None:
    record = (
        as_user(patient.user).post(f"/api/v1/patients/{patient.id}/cbt/thought-records", json=RECORD).json()
    )
    outsider = as_user(other_patient.user)
    assert outsider.get(f"/api/v1/patients/{patient.id}/cbt/thought-records").status_code == 404
    assert (
        outsider.get(f"/api/v1/patients/{patient.id}/cbt/thought-records/{record['id']}").status_code == 404
    )
    # and asking for it under their own record finds nothing either
    assert (
        outsider.get(f"/api/v1/patients/{other_patient.id}/cbt/thought-records/{record['id']}").status_code
        == 404
    )


def test_pacing_and_exposure_round_trip(as_user: Callable[..., TestClient], patient: Patient) -> None:
    api = as_user(patient.user)
    plan = api.post(
        f"/api/v1/patients/{patient.id}/cbt/pacing",
        json={"name": "Walking", "unit": "metres", "measurements": [200], "goal": 300},
    ).json()
    assert [w["target"] for w in plan["plan"]] == [160, 180, 200, 220, 240, 260, 280, 300]
    assert plan["goal_week"] == 8 and plan["current_week"] == 1
    logged = api.put(
        f"/api/v1/patients/{patient.id}/cbt/pacing/{plan['id']}/weeks/1", json={"actual": 150}
    ).json()
    assert logged["plan"][0] | {"starts_on": None} == {
        "week": 1,
        "starts_on": None,
        "target": 160,
        "actual": 150,
        "status": "on plan",
    }
    ladder = api.post(
        f"/api/v1/patients/{patient.id}/cbt/exposure", json={"movement": "Bending", "fear_rating": 70}
    ).json()
    item_id = ladder["items"][0]["id"]
    attempt = api.post(
        f"/api/v1/patients/{patient.id}/cbt/exposure/{item_id}/attempts",
        json={"predicted_fear": 70, "actual_fear": 35},
    )
    assert attempt.status_code == 201 and attempt.json()["gap"] == 35
    ladder = api.get(f"/api/v1/patients/{patient.id}/cbt/exposure").json()
    assert ladder["mean_gap"] == 35 and ladder["items"][0]["attempts"][0]["actual_fear"] == 35
