"""Several server processes: a session runs in one worker while the screens and the commands are served by
another, everything crossing through Redis (two apps on one database stand in for two workers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from painrewire import migrate
from painrewire.accounts import service as accounts
from painrewire.app import create_app
from painrewire.config import Settings
from painrewire.db import get_engine, session_scope
from painrewire.neurofeedback.live.hub import hub_of
from tests.conftest import drop_database, new_empty_database
from tests.fixtures.factories import create_patient, create_user

from .conftest import receive_until

REDIS_URL = os.environ.get("PAINREWIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    url, token = new_empty_database(tmp_path, "workers")
    migrate.upgrade(url)
    yield url
    drop_database(url, token)


def _worker(database_url: str, tmp_path: Path, name: str) -> TestClient:
    settings = Settings(
        database_url=database_url, environment="test", redis_url=REDIS_URL, recording_dir=tmp_path / name
    )
    app = create_app(settings)
    return TestClient(app, base_url="http://testserver")


def test_a_session_running_in_one_worker_is_watched_and_commanded_through_another(
    shared_database: str, tmp_path: Path
) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:  # pragma: no cover - CI runs Redis
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    settings = Settings(database_url=shared_database, environment="test")
    with session_scope(get_engine(shared_database)) as session:
        practitioner = create_user(session)
        patient = create_patient(session, care_team=[practitioner], cleared=True)
        patient_id = patient.id
        staff = {
            "Authorization": f"Bearer {accounts.start_session(session, settings, practitioner, kind='api').token}"
        }
        own = {
            "Authorization": f"Bearer {accounts.start_session(session, settings, patient.user, kind='api').token}"
        }

    with _worker(shared_database, tmp_path, "a") as first, _worker(shared_database, tmp_path, "b") as second:
        created = first.post(
            f"/api/v1/patients/{patient_id}/neurofeedback/sessions",
            json={"duration_seconds": 5, "baseline_seconds": 1, "check_seconds": 2},
            headers=staff,
        )
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        api = f"/api/v1/neurofeedback/sessions/{session_id}"
        ws = f"{api}/{{}}/ws"
        with (
            second.websocket_connect(ws.format("console"), headers=staff) as console,
            second.websocket_connect(ws.format("feedback"), headers=own) as screen,
        ):
            assert console.receive_json()["type"] == screen.receive_json()["type"] == "hello"
            check = receive_until(console, lambda m: m["type"] == "check")[-1]
            body = {} if check["protocol_passed"] else {"override_note": "proceeding"}
            begun = second.post(f"{api}/begin", json=body, headers=staff)
            assert begun.status_code == 200, begun.text
            running_in = [hub_of(worker.app).runners for worker in (first, second)]
            assert uuid.UUID(session_id) in running_in[0] and not running_in[1]
            feedback = receive_until(screen, lambda m: m["type"] == "feedback" and m["phase"] == "feedback")
            assert 0.0 <= feedback[-1]["value"] <= 1.0
            noted = second.post(f"{api}/notes", json={"text": "from the other worker"}, headers=staff)
            assert noted.status_code == 201, noted.text
            stopped = second.post(f"{api}/stop", headers=staff)
            assert stopped.status_code == 200 and stopped.json()["ok"] is True
            receive_until(screen, lambda m: m.get("state") == "ended")
        record = second.get(api, headers=staff).json()
    assert record["status"] == "completed" and record["latency_p99_ms"] is not None
    assert record["recording_seconds"] > 0
