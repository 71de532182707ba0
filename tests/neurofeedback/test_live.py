"""Live sessions end to end in one server process: set up over the API, the signal check, training, feedback
through the patient's WebSocket, the practitioner's console, notes, stop, and what lands in the record."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mne
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.neurofeedback.live.hub import BUSY_RETRY_SECONDS, hub_of
from painrewire.neurofeedback.live.messages import CONSOLE, channel
from painrewire.neurofeedback.live.runner import STATUS_EVERY, Cadence
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.neurofeedback.recording.edf import recording_flags
from painrewire.neurofeedback.signal.load import RecentLag
from painrewire.neurofeedback.sources.synthetic import DEMO_CHANNELS, eeg_like
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient

from .conftest import finished_session, receive_until

pytestmark = pytest.mark.timeout(120)

Headers = Callable[[User], dict[str, str]]
SHORT = {"duration_seconds": 6, "baseline_seconds": 1.5, "check_seconds": 2}


def _set_up(client: TestClient, headers: dict[str, str], patient: Patient, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/patients/{patient.id}/neurofeedback/sessions", json={**SHORT, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _socket(client: TestClient, session_id: str, kind: str, headers: dict[str, str]) -> Any:
    return client.websocket_connect(f"/api/v1/neurofeedback/sessions/{session_id}/{kind}/ws", headers=headers)


def _refused(client: TestClient, session_id: str, kind: str, headers: dict[str, str]) -> WebSocketDisconnect:
    """The close a refused socket gets (it is accepted, then closed at once with a reason)."""
    with pytest.raises(WebSocketDisconnect) as closed, _socket(client, session_id, kind, headers) as socket:
        socket.receive_json()
    return closed.value


def _begin_after_check(
    client: TestClient, console: WebSocketTestSession, api: str, headers: dict[str, str]
) -> None:
    """Wait for the signal check, then start training (with a reason if the check failed)."""
    check = receive_until(console, lambda m: m["type"] == "check")[-1]
    assert {c["channel"] for c in check["channels"]} >= set(check["protocol_channels"])
    body = {} if check["protocol_passed"] else {"override_note": "electrode gel drying; proceeding"}
    response = client.post(f"{api}/begin", json=body, headers=headers)
    assert response.status_code == 200, response.text


def _run_to_end(
    client: TestClient, headers: Headers, clinician: User, patient: Patient, **extra: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One whole short session; returns the record afterwards, the patient's and the console's messages.

    Logins are made first: the test's database session shares one connection with the live loop's writes.
    """
    staff, own = headers(clinician), headers(patient.user)
    row = _set_up(client, staff, patient, **extra)
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    with (
        _socket(client, row["id"], "console", staff) as console,
        _socket(client, row["id"], "feedback", own) as screen,
    ):
        assert console.receive_json()["type"] == "hello"
        assert screen.receive_json()["type"] == "hello"
        _begin_after_check(client, console, api, staff)
        first_feedback = receive_until(screen, lambda m: m["type"] == "feedback" and m["phase"] == "feedback")
        note = client.post(f"{api}/notes", json={"text": "eyes closed now"}, headers=staff)
        assert note.status_code == 201, note.text
        patient_seen = first_feedback + receive_until(screen, lambda m: m.get("state") == "ended")
        console_seen = receive_until(console, lambda m: m["type"] == "ended")
    record = client.get(api, headers=staff)
    assert record.status_code == 200
    return record.json(), patient_seen, console_seen


def test_a_live_session_sends_feedback_to_the_patients_socket_and_keeps_latency_and_the_recording(
    live_client: TestClient, bearer: Headers, clinician: User, patient: Patient, tmp_path: Path
) -> None:
    staff = bearer(clinician)
    record, patient_seen, console_seen = _run_to_end(live_client, bearer, clinician, patient)

    feedback = [m for m in patient_seen if m["type"] == "feedback" and m["phase"] == "feedback"]
    assert len(feedback) >= 4
    assert all(0.0 <= m["value"] <= 1.0 for m in feedback)
    assert len({m["value"] for m in feedback}) > 1, "the feedback never moved"
    assert [m["hop"] for m in feedback] == sorted(m["hop"] for m in feedback)
    states = [m["state"] for m in patient_seen if m["type"] == "state"]
    assert "baseline" in states or any(m.get("phase") == "baseline" for m in patient_seen)
    assert all("sham" not in m for m in patient_seen), "the patient's screen must never learn it is sham"

    kinds = {m["type"] for m in console_seen}
    assert {"status", "hop", "raw", "note", "ended"} <= kinds
    raw = next(m for m in console_seen if m["type"] == "raw" and "quality" in m)  # once a second
    assert {q["channel"] for q in raw["quality"]} == set(raw["channels"])
    hop = next(m for m in console_seen if m["type"] == "hop")
    assert len(hop["power"]) == len(hop["channels"]) and hop["latency_ms"] >= 0
    # Each inhibit band of the protocol beside its threshold (none before the baseline has set it).
    assert [i["label"] for i in hop["inhibits"]] == ["theta 4-8 Hz", "high beta 22-30 Hz"]
    assert "high_beta" in hop["bands"] and hop["blinded"] is False
    assert any(m["type"] == "status" and "inhibited_share" in m for m in console_seen)

    assert record["status"] == "completed" and record["sham"] is False
    assert record["latency_p50_ms"] is not None and record["latency_p99_ms"] >= record["latency_p50_ms"]
    assert record["clock_offset_s"] is not None
    summary = record["summary"]
    assert summary["sham"] is False and summary["minutes_trained"] > 0
    assert {"reward_rate", "bad_share", "lost_samples", "band_power_per_minute"} <= set(summary)

    edf = live_client.get(f"/api/v1/neurofeedback/sessions/{record['id']}/recording.edf", headers=staff)
    assert edf.status_code == 200
    path = tmp_path / "live.edf"
    path.write_bytes(edf.content)
    raw_edf = mne.io.read_raw_edf(path, preload=False, verbose="error")
    descriptions = list(raw_edf.annotations.description)
    assert any("eyes closed now" in d for d in descriptions)
    assert recording_flags(path)["sham"] is False


def test_a_sham_session_replays_an_earlier_session_and_is_marked_sham_in_the_record_and_recording(
    live_client: TestClient,
    bearer: Headers,
    clinician: User,
    blinded_consent: Patient,
    session: Session,
    tmp_path: Path,
) -> None:
    patient = blinded_consent
    earlier = finished_session(session, patient, clinician, tmp_path)
    replayed = list(earlier.hop_rewards or [])
    staff = bearer(clinician)

    record, patient_seen, _ = _run_to_end(live_client, bearer, clinician, patient, sham=True)

    assert record["sham"] is True and record["sham_source_id"] == str(earlier.id)
    assert record["summary"]["sham"] is True
    feedback = [m for m in patient_seen if m["type"] == "feedback" and m["phase"] == "feedback"]
    assert feedback and all("sham" not in m for m in feedback)
    # The whole session replayed the earlier one's rewards, in order, from its first feedback hop ...
    session.expire_all()
    row = session.get(NeurofeedbackSession, uuid.UUID(record["id"]))
    assert row is not None and row.hop_rewards
    assert row.hop_rewards == replayed[: len(row.hop_rewards)]
    # ... and what reached the patient's screen are those hops (a late step sends only its newest hop).
    first = min(m["hop"] for m in feedback)
    rewards = row.hop_rewards

    def replays_from(offset: int) -> bool:
        positions = [m["hop"] - offset for m in feedback]
        return all(
            0 <= p < len(rewards) and rewards[p] == m["reward"]
            for p, m in zip(positions, feedback, strict=True)
        )

    assert any(replays_from(b) for b in range(first + 1)), [(m["hop"], m["reward"]) for m in feedback]

    edf = live_client.get(f"/api/v1/neurofeedback/sessions/{record['id']}/recording.edf", headers=staff)
    path = tmp_path / "sham.edf"
    path.write_bytes(edf.content)
    assert recording_flags(path)["sham"] is True

    bids = live_client.get(f"/api/v1/neurofeedback/sessions/{record['id']}/bids.zip", headers=staff)
    assert bids.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bids.content)).namelist()
    assert any(n.endswith("_eeg.edf") for n in names) and any(n.endswith("_events.tsv") for n in names)


def test_a_failed_signal_check_needs_a_reason_and_the_override_is_recorded(
    live_client: TestClient,
    bearer: Headers,
    clinician: User,
    patient: Patient,
    session: Session,
    tmp_path: Path,
) -> None:
    eeg = eeg_like(DEMO_CHANNELS, 256.0, 30.0, seed=3)
    eeg[DEMO_CHANNELS.index("Cz")] = 0.0  # the electrode alpha training uses has come off
    flat = finished_session(session, patient, clinician, tmp_path, data=eeg)
    staff = bearer(clinician)
    row = _set_up(live_client, staff, patient, source="playback", playback_session_id=str(flat.id))
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    with _socket(live_client, row["id"], "console", staff) as console:
        check = receive_until(console, lambda m: m["type"] == "check")[-1]
        assert check["protocol_passed"] is False and "Cz" in check["failed_channels"]
        refused = live_client.post(f"{api}/begin", json={}, headers=staff)
        assert refused.status_code == 422 and "failed on Cz" in refused.json()["detail"]
        accepted = live_client.post(f"{api}/begin", json={"override_note": "patient tired"}, headers=staff)
        assert accepted.status_code == 200, accepted.text
        stop = live_client.post(f"{api}/stop", headers=staff)
        assert stop.status_code == 200 and stop.json()["ok"] is True
        receive_until(console, lambda m: m["type"] == "ended")
    record = live_client.get(api, headers=staff).json()
    assert record["signal_check"]["passed"] is False
    assert record["check_overridden"] is True and "patient tired" in record["override_note"]
    assert record["ended_at"] is not None and "Stopped by" in record["end_reason"]


class TestSockets:
    def test_a_socket_without_a_login_is_refused(
        self, live_client: TestClient, clinician: User, patient: Patient, session: Session, tmp_path: Path
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path)
        closed = _refused(live_client, str(row.id), "feedback", {})
        assert closed.code == 1008 and "log in" in closed.reason

    def test_another_patient_cannot_watch_a_session(
        self,
        live_client: TestClient,
        bearer: Headers,
        clinician: User,
        patient: Patient,
        other_patient: Patient,
        session: Session,
        tmp_path: Path,
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path)
        closed = _refused(live_client, str(row.id), "feedback", bearer(other_patient.user))
        assert closed.code == 1008 and "No such" in closed.reason

    def test_the_patient_cannot_open_the_practitioners_console(
        self,
        live_client: TestClient,
        bearer: Headers,
        clinician: User,
        patient: Patient,
        session: Session,
        tmp_path: Path,
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path)
        closed = _refused(live_client, str(row.id), "console", bearer(patient.user))
        assert closed.code == 1008 and "practitioner" in closed.reason

    def test_a_cookie_login_from_another_site_is_refused(
        self,
        live_client: TestClient,
        session: Session,
        settings: Any,
        clinician: User,
        patient: Patient,
        tmp_path: Path,
    ) -> None:
        from painrewire.accounts import service as accounts
        from painrewire.web.deps import SESSION_COOKIE

        row = finished_session(session, patient, clinician, tmp_path)
        token = accounts.start_session(session, settings, clinician, kind="browser").token
        session.commit()
        cookie = {"cookie": f"{SESSION_COOKIE}={token}"}
        closed = _refused(live_client, str(row.id), "console", {**cookie, "origin": "https://evil.example"})
        assert closed.code == 1008 and "own pages" in closed.reason
        with _socket(
            live_client, str(row.id), "console", {**cookie, "origin": "http://testserver"}
        ) as socket:
            hello = socket.receive_json()
        assert hello["type"] == "hello" and hello["status"] == "completed"
        assert [n["text"] for n in hello["notes"]] == []

    def test_commands_to_an_ended_session_are_refused_with_409(
        self,
        live_client: TestClient,
        bearer: Headers,
        clinician: User,
        patient: Patient,
        session: Session,
        tmp_path: Path,
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path)
        api = f"/api/v1/neurofeedback/sessions/{row.id}"
        staff = bearer(clinician)
        for path, body in (("/begin", {}), ("/stop", None), ("/notes", {"text": "x"}), ("/recheck", None)):
            response = live_client.post(api + path, json=body, headers=staff)
            assert response.status_code == 409, (path, response.text)
        assert (
            live_client.get(f"/api/v1/neurofeedback/sessions/{uuid.uuid4()}", headers=staff).status_code
            == 404
        )


def test_a_cookie_post_without_the_csrf_token_is_refused(
    live_client: TestClient, session: Session, settings: Any, clinician: User, patient: Patient
) -> None:
    from painrewire.accounts import service as accounts
    from painrewire.web.deps import CSRF_COOKIE, SESSION_COOKIE

    token = accounts.start_session(session, settings, clinician, kind="browser").token
    session.commit()
    live_client.cookies.set(SESSION_COOKIE, token)
    live_client.cookies.set(CSRF_COOKIE, CSRF)
    url = f"/api/v1/patients/{patient.id}/neurofeedback/sessions"
    assert live_client.post(url, json=SHORT).status_code == 403


def _begin_when_checked(client: TestClient, headers: dict[str, str], session_id: str, note: str) -> None:
    """Start training as soon as the signal check is done (over a failed check, with ``note``), without a
    console open."""
    api = f"/api/v1/neurofeedback/sessions/{session_id}/begin"
    deadline = time.monotonic() + 20
    begun = client.post(api, json={"override_note": note}, headers=headers)
    while begun.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.25)  # the signal check takes 2 s
        begun = client.post(api, json={"override_note": note}, headers=headers)
    assert begun.status_code == 200, begun.text


def test_a_session_nobody_watches_skips_the_consoles_periodic_messages_until_a_console_opens(
    live_client: TestClient, bearer: Headers, clinician: User, patient: Patient
) -> None:
    staff = bearer(clinician)
    row = _set_up(live_client, staff, patient, duration_seconds=60)
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    _begin_when_checked(live_client, staff, row["id"], "unwatched")

    async def listen(seconds: float) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        hub = hub_of(live_client.app)
        async with hub.broadcast.subscribe(channel(row["id"], CONSOLE)) as messages:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    async for message in messages:
                        got.append(message)
        return got

    assert live_client.portal is not None
    unwatched = live_client.portal.call(listen, 3 * STATUS_EVERY)
    assert not [m for m in unwatched if m["type"] in ("status", "hop", "raw", "batch")]
    with _socket(live_client, row["id"], "console", staff) as console:
        assert console.receive_json()["type"] == "hello"
        first = console.receive_json()  # at once: the console's turn was overdue
        assert first["type"] == "batch" and {"hop", "raw"} <= {p["type"] for p in first["parts"]}, first
        seen = receive_until(console, lambda m: m["type"] == "status", seconds=3)  # on its grid, within 1 s
        seen += first["parts"]
        assert {"status", "hop", "raw"} <= {m["type"] for m in seen}
        # From then on the periodic parts share one grid: each message carries the newest hop with its
        # traces (and the status once a second) -- two messages a second, not one per part.
        messages = [console.receive_json() for _ in range(6)]
        assert all(m["type"] == "batch" for m in messages), [m["type"] for m in messages]
        kinds = [tuple(p["type"] for p in m["parts"]) for m in messages]
        assert all(k in (("hop", "raw"), ("status", "hop", "raw")) for k in kinds), kinds
        assert 2 <= kinds.count(("status", "hop", "raw")) <= 4, kinds
        assert live_client.post(f"{api}/stop", headers=staff).status_code == 200
        receive_until(console, lambda m: m["type"] == "ended")


def test_commands_that_wake_the_loop_early_never_cost_the_console_its_band_powers(
    live_client: TestClient, bearer: Headers, clinician: User, patient: Patient
) -> None:
    """A command (here, notes) wakes the loop between hops. Such a step reads samples but may complete no hop;
    the console's turn waits for the step with the hop, so every message still carries the newest band powers."""
    staff = bearer(clinician)
    row = _set_up(live_client, staff, patient, duration_seconds=60)
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    _begin_when_checked(live_client, staff, row["id"], "woken early")
    with _socket(live_client, row["id"], "console", staff) as console:
        assert console.receive_json()["type"] == "hello"
        receive_until(console, lambda m: m["type"] == "hop", seconds=10)
        stop = threading.Event()
        posted: list[int] = []

        def post_notes() -> None:  # twenty commands a second, at every phase of the hop
            while not stop.is_set():
                posted.append(
                    live_client.post(f"{api}/notes", json={"text": "now"}, headers=staff).status_code
                )
                time.sleep(0.05)

        poster = threading.Thread(target=post_notes)
        poster.start()
        try:
            parts: list[tuple[str, ...]] = []
            while len(parts) < 8:
                message = console.receive_json()
                if message["type"] == "batch":
                    parts.append(tuple(p["type"] for p in message["parts"]))
        finally:
            stop.set()
            poster.join()
        assert len(posted) >= 20 and set(posted) == {201}
        assert all("hop" in kinds and "raw" in kinds for kinds in parts), parts
        assert live_client.post(f"{api}/stop", headers=staff).status_code == 200
        receive_until(console, lambda m: m["type"] == "ended")


def _sessions_of(client: TestClient, headers: dict[str, str], patient_id: uuid.UUID) -> list[dict[str, Any]]:
    """A patient's sessions, read through the API: while live loops write, the test's own database session
    must not use the connection they share."""
    response = client.get(f"/api/v1/patients/{patient_id}/neurofeedback/sessions", headers=headers)
    assert response.status_code == 200, response.text
    sessions: list[dict[str, Any]] = response.json()
    return sessions


def _stop_all(client: TestClient, headers: dict[str, str], session_ids: list[str]) -> None:
    """Stop sessions and wait until their loops have stored everything (none may still be writing through the
    test's database connection when the test ends)."""
    for session_id in session_ids:
        response = client.post(f"/api/v1/neurofeedback/sessions/{session_id}/stop", headers=headers)
        assert response.status_code == 200, response.text
    hub = hub_of(client.app)
    deadline = time.monotonic() + 30
    while hub.runners and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not hub.runners, "a stopped session's loop never finished"


async def _stall_the_loop(seconds: float) -> None:
    """Keep the server's event loop busy in 60 ms turns, as hundreds of sessions on one core would."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.06)
        await asyncio.sleep(0)


def test_a_server_whose_sessions_run_late_refuses_a_new_one_until_they_are_on_time_again(
    live_client: TestClient, bearer: Headers, session: Session, clinician: User, patient: Patient
) -> None:
    hub = hub_of(live_client.app)
    hub.lag = RecentLag(seconds=3.0, min_wakes=5)  # one session's wakes are enough to judge, in a test
    second = create_patient(session, care_team=[clinician], cleared=True)
    session.commit()
    staff = bearer(clinician)
    first = _set_up(live_client, staff, patient)  # its loop wakes ten times a second during the signal check
    url = f"/api/v1/patients/{second.id}/neurofeedback/sessions"
    deadline = time.monotonic() + 30
    while hub.lag.wakes(time.monotonic()) < 10 and time.monotonic() < deadline:
        time.sleep(0.1)  # the headset opens in a worker thread first
    assert hub.lag.wakes(time.monotonic()) >= 10, "the session's loop never stepped"

    assert live_client.portal is not None
    live_client.portal.call(_stall_the_loop, 3.0)
    refused = live_client.post(url, json=SHORT, headers=staff)
    assert refused.status_code == 503, refused.text
    assert "cannot keep up with another live session" in refused.json()["detail"]
    assert refused.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)
    assert _sessions_of(live_client, staff, second.id) == []  # nothing was kept

    # Once the running session wakes on time again (the window is 3 s here), a new one is let in.
    deadline = time.monotonic() + 20
    admitted = refused
    while admitted.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.5)
        admitted = live_client.post(url, json=SHORT, headers=staff)
    assert admitted.status_code == 201, admitted.text
    _stop_all(live_client, staff, [first["id"], admitted.json()["id"]])


def test_a_server_whose_loop_would_be_too_busy_with_one_more_session_refuses_it(
    live_client: TestClient, bearer: Headers, session: Session, clinician: User
) -> None:
    patients = [create_patient(session, care_team=[clinician], cleared=True) for _ in range(4)]
    session.commit()
    staff = bearer(clinician)
    hub = hub_of(live_client.app)
    running: list[str] = []
    for patient in patients[:3]:  # enough training sessions to tell what one costs
        row = _set_up(live_client, staff, patient, duration_seconds=60)
        _begin_when_checked(live_client, staff, row["id"], "test")
        running.append(row["id"])
    deadline = time.monotonic() + 10
    while hub.busy.share is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the loop's first busy reading comes a second after the first session starts
    assert hub.busy.share is not None and 0 < hub.busy.share < 1
    url = f"/api/v1/patients/{patients[3].id}/neurofeedback/sessions"

    hub.load_limit = hub.busy.share / 10  # a core that three sessions already fill past the limit
    refused = live_client.post(url, json=SHORT, headers=staff)
    assert refused.status_code == 503, refused.text
    detail = refused.json()["detail"]
    assert "with 3 live sessions, its live loop would be busy" in detail and "once they all train" in detail
    assert _sessions_of(live_client, staff, patients[3].id) == []  # nothing was kept

    hub.load_limit = 0.75  # the default: three sessions of a test use a sliver of the core
    admitted = live_client.post(url, json=SHORT, headers=staff)
    assert admitted.status_code == 201, admitted.text
    _stop_all(live_client, staff, [*running, admitted.json()["id"]])


def test_the_server_measures_what_its_starting_sessions_cost_the_loop(
    live_client: TestClient, bearer: Headers, patient: Patient, clinician: User
) -> None:
    hub = hub_of(live_client.app)
    staff = bearer(clinician)
    row = _set_up(live_client, staff, patient)  # in its signal check, then waiting for the practitioner
    deadline = time.monotonic() + 15
    while hub.busy.starting_share == 0.0 and time.monotonic() < deadline:
        time.sleep(0.2)
    share = hub.busy.share
    assert share is not None and 0 < hub.busy.starting_share <= share, (hub.busy.starting_share, share)
    _stop_all(live_client, staff, [row["id"]])


def test_a_server_at_its_fixed_limit_of_live_sessions_refuses_another(
    live_client: TestClient, bearer: Headers, session: Session, clinician: User, patient: Patient
) -> None:
    hub = hub_of(live_client.app)
    hub.max_sessions = 1
    second = create_patient(session, care_team=[clinician], cleared=True)
    session.commit()
    staff = bearer(clinician)
    first = _set_up(live_client, staff, patient)
    refused = live_client.post(
        f"/api/v1/patients/{second.id}/neurofeedback/sessions", json=SHORT, headers=staff
    )
    assert refused.status_code == 503
    assert "already running 1 live session, its limit" in refused.json()["detail"]
    assert _sessions_of(live_client, staff, second.id) == []  # nothing was kept
    # What is wrong with a patient's own set-up is said first: this one already has a session.
    again = live_client.post(
        f"/api/v1/patients/{patient.id}/neurofeedback/sessions", json=SHORT, headers=staff
    )
    assert again.status_code == 409 and "already has" in again.json()["detail"]
    _stop_all(live_client, staff, [first["id"]])


def test_logging_out_elsewhere_ends_the_live_sockets_of_that_login_only(
    live_client: TestClient,
    bearer: Headers,
    clinician: User,
    patient: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every open socket's login is checked again (here every 0.3 s, in production every minute): the
    patient's screen of a login that logged out is closed with a reason; the console of another login
    carries on."""
    from painrewire.neurofeedback import sockets

    monkeypatch.setattr(sockets, "RECHECK_SECONDS", 0.3)
    staff, own = bearer(clinician), bearer(patient.user)
    row = _set_up(live_client, staff, patient, duration_seconds=60)
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    with (
        _socket(live_client, row["id"], "console", staff) as console,
        _socket(live_client, row["id"], "feedback", own) as screen,
    ):
        assert console.receive_json()["type"] == "hello" and screen.receive_json()["type"] == "hello"
        assert live_client.post("/api/v1/auth/logout", headers=own).status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(screen, lambda m: False, seconds=10)
        assert closed.value.code == 1008 and "login has ended" in closed.value.reason
        time.sleep(1.0)  # several more checks: the practitioner's login is still live
        assert receive_until(console, lambda m: m["type"] == "status", seconds=5)
        assert live_client.post(f"{api}/stop", headers=staff).status_code == 200
        receive_until(console, lambda m: m["type"] == "ended")


def test_the_practitioner_can_check_again_and_change_the_target_while_live(
    live_client: TestClient, bearer: Headers, clinician: User, patient: Patient
) -> None:
    staff = bearer(clinician)
    row = _set_up(live_client, staff, patient, duration_seconds=60)
    api = f"/api/v1/neurofeedback/sessions/{row['id']}"
    with _socket(live_client, row["id"], "console", staff) as console:
        receive_until(console, lambda m: m["type"] == "check")
        again = live_client.post(f"{api}/recheck", headers=staff)
        assert again.status_code == 200 and "again" in again.json()["detail"]
        receive_until(console, lambda m: m["type"] == "check")
        assert (
            live_client.put(f"{api}/target", json={"target_reward_rate": 0.5}, headers=staff).status_code
            == 200
        )
        refused = live_client.put(f"{api}/target", json={"target_reward_rate": 2}, headers=staff)
        assert refused.status_code == 422
        begun = live_client.post(f"{api}/begin", json={"override_note": "checked twice"}, headers=staff)
        assert begun.status_code == 200, begun.text
        status = receive_until(console, lambda m: m["type"] == "status" and m["state"] == "training")[-1]
        assert status["target_reward_rate"] == 0.5
        assert live_client.post(f"{api}/stop", headers=staff).status_code == 200
        receive_until(console, lambda m: m["type"] == "ended")


def test_stopping_a_session_whose_live_loop_does_not_answer_marks_it_ended(
    live_client: TestClient, bearer: Headers, session: Session, clinician: User, patient: Patient
) -> None:
    from painrewire.neurofeedback import service
    from painrewire.neurofeedback.schemas import SessionCreate

    staff = bearer(clinician)
    # Set up, but its live loop never started: as if the server running it had stopped.
    row = service.create_session(
        session, clinician, patient.id, SessionCreate(duration_seconds=60, baseline_seconds=10)
    )
    session.commit()
    hub_of(live_client.app).command_timeout = 0.5
    stopped = live_client.post(f"/api/v1/neurofeedback/sessions/{row.id}/stop", headers=staff)
    assert stopped.status_code == 200 and "not answering" in stopped.json()["detail"]
    record = live_client.get(f"/api/v1/neurofeedback/sessions/{row.id}", headers=staff).json()
    assert record["status"] == "aborted" and "was not answering" in record["end_reason"]


def test_a_recording_left_by_a_server_that_stopped_is_recovered_into_the_record_at_start_up(
    live_client: TestClient,
    bearer: Headers,
    session: Session,
    clinician: User,
    patient: Patient,
    settings: Settings,
) -> None:
    from datetime import timedelta

    from painrewire.db import utcnow
    from painrewire.neurofeedback import service
    from painrewire.neurofeedback.recording.recorder import SessionRecorder
    from painrewire.neurofeedback.schemas import SessionCreate

    staff = bearer(clinician)
    row = service.create_session(
        session, clinician, patient.id, SessionCreate(duration_seconds=60, baseline_seconds=10)
    )
    row.heartbeat_at = utcnow() - timedelta(seconds=service.STALE_SECONDS + 1)
    session.commit()
    hub = hub_of(live_client.app)
    folder = settings.recording_dir  # the clinic's recording folder (PAINREWIRE_RECORDING_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    recorder = SessionRecorder(folder / f"{row.id}.edf", list(DEMO_CHANNELS), 256.0)
    recorder.append(eeg_like(DEMO_CHANNELS, 256.0, 4.0, seed=5))
    recorder.abort()  # the server died here

    assert live_client.portal is not None
    live_client.portal.call(hub.startup)

    record = live_client.get(f"/api/v1/neurofeedback/sessions/{row.id}", headers=staff).json()
    assert record["status"] == "aborted" and "recording was recovered" in record["end_reason"]
    assert record["recording_seconds"] == pytest.approx(4.0, abs=1.0)
    assert not recorder.partial.exists()


def test_sessions_stalled_together_keep_their_own_console_timing() -> None:
    """After a stall every session catches up at once; their periodic console messages must not fall into
    step (they would then all go out in the same few milliseconds, every second)."""
    first = Cadence(1.0, 0.1, now=100.0)
    second = Cadence(1.0, 0.7, now=100.0)
    assert [t for t in (100.05, 100.1, 100.5, 101.09, 101.1) if first.due(t)] == [100.1, 101.1]
    stall_ends = 104.35  # both were due during the stall: each goes out once, late
    assert first.due(stall_ends) and second.due(stall_ends)
    assert not first.due(stall_ends + 0.01) and not second.due(stall_ends + 0.01)
    assert (first.next, second.next) == pytest.approx((105.1, 104.7))  # back on their own grids


def test_a_sessions_console_duties_with_one_offset_fall_due_at_the_same_steps() -> None:
    """The console's turns (hop and traces) every 0.5 s and the status every second, at steps a quarter second
    apart (with jitter): the status is due only at steps where a turn is due too, also when the turns were
    not looked at for a while (nobody watched) and catch up."""
    turns, status = Cadence(0.5, 0.2, now=0.0), Cadence(1.0, 0.2, now=0.0)
    rng = np.random.default_rng(3)
    steps = np.arange(0.0, 40.0, 0.25) + rng.uniform(0.0, 0.03, 160)
    due = []
    for t in steps:
        unwatched = 10.0 <= t < 17.3  # only the status is looked at then
        s = status.due(t)
        if not unwatched:
            due.append((turns.due(t), s))
    assert all(turn for turn, s in due if s)
    assert sum(s for _, s in due) == pytest.approx(sum(turn for turn, _ in due) / 2, abs=2)


def test_the_recording_folder_is_a_clinic_setting_that_survives_restarts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAINREWIRE_RECORDING_DIR", str(tmp_path / "eeg"))
    assert Settings().recording_dir == tmp_path / "eeg"
    monkeypatch.delenv("PAINREWIRE_RECORDING_DIR")
    monkeypatch.chdir(tmp_path)
    assert Settings().recording_dir == tmp_path / "painrewire-recordings"  # beside the database, not in /tmp
