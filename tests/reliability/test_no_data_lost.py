"""No acknowledged write is lost: under 200 concurrent clients, and when the server is killed mid-load.

Four clients in five write diary entries; one in five books appointments, racing the others for the same free
times of four clinicians: every acknowledged booking must be stored as booked, and no clinician may end up
with two appointments at overlapping times.

Runs on SQLite (WAL) by default and on PostgreSQL when PAINREWIRE_TEST_DATABASE_URL is set. The figures are
printed (run with -s to see them) and `python bench/reliability.py` writes them for the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import loadtest
from painrewire import migrate
from tests.conftest import drop_database, new_empty_database

CLIENTS = 200
SECONDS = 6.0
#: Fewer acknowledged diary writes than this would prove too little (the server is shared with other tests).
MIN_WRITES = 100


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url, token = new_empty_database(tmp_path, "load")
    migrate.upgrade(url)
    yield url
    drop_database(url, token)


def check_bookings(database: str, result: loadtest.LoadResult) -> tuple[int, int]:
    lost = loadtest.lost_bookings(database, result)
    doubled = loadtest.double_bookings(database)
    assert result.bookings, "no booking was acknowledged: the load proved nothing about bookings"
    assert lost == 0
    assert doubled == 0
    return lost, doubled


def test_every_acknowledged_write_survives_200_concurrent_clients(database: str, tmp_path: Path) -> None:
    clients = loadtest.create_clients(database, CLIENTS)
    clinicians = loadtest.create_booking_clinic(database)
    process, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        slots = loadtest.free_times(url, clinicians)
        result = loadtest.run_load(url, clients, seconds=SECONDS, label="load", slots=slots)
    finally:
        process.terminate()
        process.wait(timeout=15)
    lost = loadtest.lost_writes(database, result)
    print(json.dumps(result.figures(lost, *check_bookings(database, result))))
    assert len(result.acknowledged) >= MIN_WRITES, "the load produced too few writes to mean anything"
    assert lost == 0
    assert result.errors == 0, result.unexpected
    assert result.taken > 0, "the bookers never raced for the same time"


def test_every_acknowledged_write_survives_a_sigkill_mid_load(database: str, tmp_path: Path) -> None:
    clients = loadtest.create_clients(database, CLIENTS)
    clinicians = loadtest.create_booking_clinic(database)
    process, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        slots = loadtest.free_times(url, clinicians)
        result = loadtest.run_load(
            url,
            clients,
            seconds=SECONDS,
            label="crash",
            kill=process,
            slots=slots,
            kill_after_writes=MIN_WRITES,
        )
    finally:
        process.kill()
        process.wait(timeout=15)
    assert result.killed
    lost = loadtest.lost_writes(database, result)
    print(json.dumps(result.figures(lost, *check_bookings(database, result))))
    assert len(result.acknowledged) >= MIN_WRITES
    assert lost == 0
    restarted, url = loadtest.start_server(database, tmp_path / "server.log")
    try:
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        restarted.terminate()
        restarted.wait(timeout=15)
