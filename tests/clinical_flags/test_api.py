"""Clinical flags over JSON: the care team records and clears, the patient reads their own, bad input is a 422."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from painrewire.accounts.models import User
from painrewire.patients.models import Patient


def url(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.id}/clinical-flags"


def test_anonymous_is_refused(client: TestClient, patient: Patient) -> None:
    assert client.get(url(patient)).status_code == 401


def test_record_read_and_clear(as_user: Callable[..., TestClient], clinician: User, patient: Patient) -> None:
    api = as_user(clinician)
    made = api.post(
        url(patient), json={"kind": "stress_drives_pain", "note": "Flares in every deadline week"}
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["label"], body["recorded_by_name"], body["standing"]) == (
        "Stress or tension drives the pain",
        clinician.full_name,
        True,
    )
    mine = as_user(patient.user).get(url(patient))
    assert [f["kind"] for f in mine.json()] == ["stress_drives_pain"]
    cleared = api.post(f"{url(patient)}/{body['id']}/clear", json={"note": "Stress settled"})
    assert cleared.status_code == 200 and cleared.json()["standing"] is False


def test_bad_input_is_a_422_naming_the_field(
    as_user: Callable[..., TestClient], clinician: User, patient: Patient
) -> None:
    api = as_user(clinician)
    unknown = api.post(url(patient), json={"kind": "anger", "note": "Shouted at the receptionist"})
    assert unknown.status_code == 422 and "kind" in unknown.text
    short = api.post(url(patient), json={"kind": "fear_of_movement", "note": "yes"})
    assert short.status_code == 422 and "note" in short.json()["detail"]
    assert api.get(url(patient)).json() == []


def test_a_patient_cannot_record_their_own(as_user: Callable[..., TestClient], patient: Patient) -> None:
    refused = as_user(patient.user).post(
        url(patient), json={"kind": "fear_of_movement", "note": "I am scared"}
    )
    assert refused.status_code == 403
