"""No acknowledged write is lost: under 200 concurrent clients, and when the server is killed mid-load.

Runs on SQLite (WAL) by default and on PostgreSQL when PAINREWIRE_TEST_DATABASE_URL is set. The figures are
printed (run with -s to see them) and `python bench/reliability.py` writes them for the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from painrewire import loadtest, migrate
from tests.conftest import drop_database, new_empty_database

CLIENTS = 200
SECONDS = 6.0


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url, token = new_empty_database(tmp_path, "load")
    migrate.upgrade(url)
    yield url
    drop_database(url, token)


def test_every_acknowledged_write_survives_200_concurrent_clients(database: str, tmp_path: Path) -> None:
    clients = loadtest.create_clients(database, CLIENTS)
    process, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        result = loadtest.run_load(url, clients, seconds=SECONDS, label="load")
    finally:
        process.terminate()
        process.wait(timeout=15)
    lost = loadtest.lost_writes(database, result)
    print(json.dumps(result.figures(lost)))
    assert len(result.acknowledged) > CLIENTS, "the load produced too few writes to mean anything"
    assert lost == 0
    assert result.errors == 0


def test_every_acknowledged_write_survives_a_sigkill_mid_load(database: str, tmp_path: Path) -> None:
    clients = loadtest.create_clients(database, CLIENTS)
    process, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        result = loadtest.run_load(url, clients, seconds=SECONDS, label="crash", kill=process)
    finally:
        process.kill()
        process.wait(timeout=15)
    assert result.killed
    lost = loadtest.lost_writes(database, result)
    print(json.dumps(result.figures(lost)))
    assert len(result.acknowledged) > CLIENTS
    assert lost == 0
    restarted, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        restarted.terminate()
        restarted.wait(timeout=15)
