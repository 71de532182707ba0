"""A live session meets an erasure, and a console meets a care-team change.

* Erasing a patient stops their running session at once, keeps nothing of it, and deletes its recording
  on disk; a session the stop did not reach is found by its server's heartbeat; a recording a crash left
  behind is deleted at the next start, not recovered into a record that no longer exists.
* A clinician taken off the care team loses the live console at the next re-check.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.interop import erasure
from painrewire.neurofeedback import service, sockets
from painrewire.neurofeedback.live.hub import hub_of
from painrewire.neurofeedback.live.runner import ERASED_REASON
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.neurofeedback.recording.recorder import SessionRecorder
from painrewire.neurofeedback.sources.synthetic import DEMO_CHANNELS, eeg_like
from painrewire.patients.models import CareTeamMember, Patient

from .conftest import finished_session, receive_until

pytestmark = pytest.mark.timeout(120)

Headers = Callable[[User], dict[str, str]]
LONG = {"duration_seconds": 120, "baseline_seconds": 1.5, "check_seconds": 2}


def set_up(client: TestClient, headers: dict[str, str], patient: Patient) -> str:
    answer = client.post(f"/api/v1/patients/{patient.id}/neurofeedback/sessions", json=LONG, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def console_of(client: TestClient, session_id: str, headers: dict[str, str]) -> Any:
    return client.websocket_connect(
        f"/api/v1/neurofeedback/sessions/{session_id}/console/ws", headers=headers
    )


def files_of(folder: Path, session_id: str) -> list[Path]:
    return sorted(p for p in folder.glob(f"{session_id}*") if p.exists())


def in_the_app(client: TestClient, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(session, *args)`` as one of the app's units of work: the live loops share the test's one
    database connection, so the test waits its turn at the same gate as they do."""
    assert client.portal is not None
    return client.portal.call(hub_of(client.app).db, fn, *args)


def erase_rows(session: Session, patient_id: uuid.UUID) -> None:
    patient = session.get(Patient, patient_id)
    assert patient is not None
    erasure.erase(session, patient)


def leave_the_team(session: Session, patient_id: uuid.UUID, clinician_id: uuid.UUID) -> None:
    membership = session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient_id, CareTeamMember.clinician_id == clinician_id
        )
    )
    session.delete(membership)


def asks_for_erasure(session: Session, patient: Patient) -> uuid.UUID:
    request = erasure.request_erasure(session, patient.user, confirm=True, reason=None)
    session.commit()
    return request.id


def test_erasing_a_patient_stops_their_live_session_and_keeps_nothing_of_it(
    live_client: TestClient,
    bearer: Headers,
    session: Session,
    settings: Settings,
    clinician: User,
    patient: Patient,
) -> None:
    staff = bearer(clinician)
    request_id = asks_for_erasure(session, patient)
    session_id = set_up(live_client, staff, patient)
    with console_of(live_client, session_id, staff) as console:
        assert console.receive_json()["type"] == "hello"
        receive_until(console, lambda m: m["type"] == "check")  # recording to disk by now
        assert files_of(settings.recording_dir, session_id)
        decided = live_client.post(
            f"/api/v1/patients/{patient.id}/erasure-requests/{request_id}/decision",
            json={"confirm": True, "note": "Erased at the patient's request."},
            headers=staff,
        )
        assert decided.status_code == 200, decided.text
        ended = receive_until(console, lambda m: m["type"] == "ended", seconds=10)[-1]
        assert ended["reason"] == ERASED_REASON
    deadline = time.monotonic() + 10
    while files_of(settings.recording_dir, session_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files_of(settings.recording_dir, session_id) == []
    assert in_the_app(live_client, lambda s: s.get(NeurofeedbackSession, uuid.UUID(session_id))) is None


def test_a_session_the_stop_did_not_reach_is_found_by_the_heartbeat(
    live_client: TestClient,
    bearer: Headers,
    session: Session,
    settings: Settings,
    clinician: User,
    patient: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Erased on a server the stop command did not reach (several workers without Redis): the server running
    the session notices at its next heartbeat that the session is gone, and discards it."""
    monkeypatch.setattr(service, "HEARTBEAT_SECONDS", 0.2)
    staff = bearer(clinician)
    session_id = set_up(live_client, staff, patient)
    with console_of(live_client, session_id, staff) as console:
        receive_until(console, lambda m: m["type"] == "check")
        in_the_app(live_client, erase_rows, patient.id)  # the rows only: as an erasure elsewhere leaves them
        ended = receive_until(console, lambda m: m["type"] == "ended", seconds=10)[-1]
        assert ended["reason"] == ERASED_REASON
    deadline = time.monotonic() + 10
    while files_of(settings.recording_dir, session_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files_of(settings.recording_dir, session_id) == []


def test_the_erasure_deletes_recordings_a_crashed_server_left_of_the_patient(
    session: Session, settings: Settings, clinician: User, patient: Patient, tmp_path: Path
) -> None:
    row = finished_session(session, patient, clinician, tmp_path)
    folder = settings.recording_dir
    folder.mkdir(parents=True, exist_ok=True)
    recorder = SessionRecorder(folder / f"{row.id}.edf", list(DEMO_CHANNELS), 256.0)
    recorder.append(eeg_like(DEMO_CHANNELS, 256.0, 2.0, seed=3))
    recorder.abort()  # the server died here
    (folder / f"{row.id}.playback.edf").write_bytes(b"0")
    assert files_of(folder, str(row.id))
    erasure.erase(session, patient, recording_dir=folder)
    assert files_of(folder, str(row.id)) == []


def test_at_start_up_a_recording_whose_session_is_gone_is_deleted_not_recovered(
    live_client: TestClient, settings: Settings
) -> None:
    folder = settings.recording_dir
    folder.mkdir(parents=True, exist_ok=True)
    gone = uuid.uuid4()  # its patient was erased while the server was down
    recorder = SessionRecorder(folder / f"{gone}.edf", list(DEMO_CHANNELS), 256.0)
    recorder.append(eeg_like(DEMO_CHANNELS, 256.0, 2.0, seed=4))
    recorder.abort()
    assert recorder.partial.exists()
    assert live_client.portal is not None
    live_client.portal.call(hub_of(live_client.app).startup)
    assert files_of(folder, str(gone)) == []


def test_a_clinician_taken_off_the_care_team_loses_the_live_console(
    live_client: TestClient,
    bearer: Headers,
    session: Session,
    clinician: User,
    other_clinician: User,
    patient: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sockets, "RECHECK_SECONDS", 0.3)
    session.add(CareTeamMember(patient_id=patient.id, clinician_id=other_clinician.id))
    session.commit()
    lead, removed = bearer(clinician), bearer(other_clinician)
    session_id = set_up(live_client, lead, patient)
    with (
        console_of(live_client, session_id, removed) as console,
        console_of(live_client, session_id, lead) as kept,
    ):
        assert console.receive_json()["type"] == "hello" and kept.receive_json()["type"] == "hello"
        in_the_app(live_client, leave_the_team, patient.id, other_clinician.id)
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(console, lambda m: False, seconds=10)
        assert closed.value.code == 1008 and "no longer on this patient's care team" in closed.value.reason
        assert receive_until(kept, lambda m: m["type"] == "status", seconds=5)  # the lead still watches
        assert live_client.post(f"/api/v1/neurofeedback/sessions/{session_id}/stop", headers=lead).is_success
        receive_until(kept, lambda m: m["type"] == "ended")
