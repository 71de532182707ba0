"""JSON routes of recorded sessions: the record, review data (band power, events, traces with seek), downloads,
and bad input answered with 4xx in words."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.patients.models import Patient

from .conftest import finished_session

Client = Callable[..., TestClient]


@pytest.fixture
def done(session: Session, patient: Patient, clinician: User, tmp_path: Path) -> NeurofeedbackSession:
    return finished_session(session, patient, clinician, tmp_path)


def url(row: NeurofeedbackSession, tail: str = "") -> str:
    return f"/api/v1/neurofeedback/sessions/{row.id}{tail}"


class TestRecord:
    def test_anonymous_gets_401(self, client: TestClient, done: NeurofeedbackSession) -> None:
        assert client.get(url(done)).status_code == 401

    def test_the_patient_gets_no_clinicians_record_of_their_session(
        self, as_user: Client, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        assert as_user(patient.user).get(url(done)).status_code == 403

    def test_the_care_team_sees_summary_latency_and_that_it_was_live(
        self, as_user: Client, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        api = as_user(clinician)
        record = api.get(url(done)).json()
        assert record["status"] == "completed" and record["sham"] is False
        assert record["summary"]["minutes_trained"] > 0 and record["recording_seconds"] == pytest.approx(43.0)
        listed = api.get(f"/api/v1/patients/{patient.id}/neurofeedback/sessions").json()
        assert [r["id"] for r in listed] == [str(done.id)]
        notes = api.get(url(done, "/notes")).json()
        assert notes == []


class TestReview:
    def test_the_overview_has_band_power_each_second_and_the_events(
        self, as_user: Client, clinician: User, done: NeurofeedbackSession
    ) -> None:
        overview = as_user(clinician).get(url(done, "/review")).json()
        assert overview["protocol_channels"] == ["Cz"]
        assert len(overview["times"]) == len(overview["band_power_uv2"]["alpha"]) > 30
        texts = [a["text"] for a in overview["annotations"]]
        assert "note:eyes closed" in texts and any(t.startswith("reward") for t in texts)

    def test_traces_can_be_read_from_any_point(
        self, as_user: Client, clinician: User, done: NeurofeedbackSession
    ) -> None:
        window = as_user(clinician).get(url(done, "/review/traces?start=20&seconds=5&buckets=100")).json()
        assert window["start_s"] == pytest.approx(20.0) and window["seconds"] == pytest.approx(5.0)
        assert len(window["minimum"]) == len(window["channels"]) == 8
        assert all(len(row) == 100 for row in window["maximum"])

    def test_a_position_past_the_end_is_refused_in_words(
        self, as_user: Client, clinician: User, done: NeurofeedbackSession
    ) -> None:
        response = as_user(clinician).get(url(done, "/review/traces?start=999"))
        assert response.status_code == 422 and "before the end of the recording" in response.text
        assert as_user(clinician).get(url(done, "/review/traces?seconds=abc")).status_code == 422

    def test_an_outsider_cannot_review_or_download(
        self, as_user: Client, other_clinician: User, done: NeurofeedbackSession
    ) -> None:
        api = as_user(other_clinician)
        for tail in ("/review", "/review/traces", "/recording.edf", "/bids.zip", "/notes"):
            assert api.get(url(done, tail)).status_code == 404, tail


class TestDownloads:
    def test_the_edf_download_names_the_pseudonym_never_the_patient(
        self, as_user: Client, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        response = as_user(clinician).get(url(done, "/recording.edf"))
        assert response.status_code == 200 and response.content[:8] == b"0       "
        disposition = response.headers["content-disposition"]
        assert f"PR{patient.id.hex[:8]}" in disposition
        assert patient.user.full_name.split()[0] not in disposition
        assert patient.user.full_name.encode() not in response.content

    def test_the_bids_export_is_a_dataset_with_the_pseudonym_as_subject(
        self, as_user: Client, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        response = as_user(clinician).get(url(done, "/bids.zip"))
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert "bids/dataset_description.json" in names
        assert any(f"sub-PR{patient.id.hex[:8]}" in n and n.endswith("_eeg.edf") for n in names)


class TestSetUp:
    def test_bad_set_up_input_is_a_422_naming_the_problem(
        self, as_user: Client, clinician: User, patient: Patient
    ) -> None:
        api = as_user(clinician)
        path = f"/api/v1/patients/{patient.id}/neurofeedback/sessions"
        response = api.post(path, json={"protocol": "gamma-up"})
        assert response.status_code == 422 and "choose one of" in response.text
        response = api.post(path, json={"source": "playback"})
        assert response.status_code == 422 and "playback_session_id" in response.text
        response = api.post(path, json={"board_id": 999, "duration_seconds": 60, "baseline_seconds": 10})
        assert response.status_code == 422 and "999" in response.text

    def test_the_devices_list_has_the_synthetic_headset(self, as_user: Client, clinician: User) -> None:
        boards = as_user(clinician).get("/api/v1/neurofeedback/devices").json()
        assert any(b["board_id"] == -1 for b in boards)
