"""The everyday request path: one thread hop per request, SQLite writers taking turns, slow bodies made after
the commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from painrewire import db
from painrewire.db import READ_ONLY, get_engine
from painrewire.errors import Unavailable
from painrewire.patients.models import Patient
from painrewire.reports import service as reports
from painrewire.web.deps import SessionDep
from painrewire.web.onehop import OneHopRoute, in_one_hop

_seen: dict[str, int] = {}


def _who_asks(session: SessionDep) -> str:
    _seen["dependency"] = threading.get_ident()
    event.listen(session, "after_commit", lambda _s: _seen.setdefault("commit", threading.get_ident()))
    return "someone"


_probe_router = APIRouter(route_class=OneHopRoute)


@_probe_router.get("/probe")
def _probe(asker: Annotated[str, Depends(_who_asks)], session: SessionDep) -> dict[str, str]:
    _seen["endpoint"] = threading.get_ident()
    session.execute(text("SELECT 1"))
    return {"asker": asker, "one_hop": str(in_one_hop())}


def test_a_plain_route_its_dependencies_and_its_commit_run_in_one_thread(
    sessions: sessionmaker[Session],
) -> None:
    _seen.clear()
    app = FastAPI()
    app.state.session_factory = sessions
    app.state.db_gates = {}
    app.state.db_concurrency = 4
    app.include_router(_probe_router)
    with TestClient(app) as client:
        answer = client.get("/probe").json()

    assert answer == {"asker": "someone", "one_hop": "True"}
    assert _seen["dependency"] == _seen["endpoint"] == _seen["commit"]
    assert _seen["endpoint"] != threading.get_ident()


def test_the_pdf_report_is_laid_out_after_the_request_committed(
    as_user: Callable[..., TestClient], patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    laid_out: list[bool] = []

    def layout(html: str) -> bytes:
        laid_out.append(in_one_hop())
        return b"%PDF-1.7 " + str(len(html)).encode()

    monkeypatch.setattr(reports, "html_to_pdf", layout)
    response = as_user(patient.user, browser=True).get("/patient/report.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-1.7 ")
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["cache-control"].startswith("no-store")
    assert laid_out == [False]  # outside the request's unit of work, off the database


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE marks (who TEXT)"))
    yield engine
    engine.dispose()


def test_sqlite_writers_wait_for_their_turn_and_readers_do_not(sqlite_engine: Engine) -> None:
    order: list[str] = []
    first = sqlite_engine.connect()
    first.begin()
    first.execute(text("INSERT INTO marks VALUES ('first')"))

    def second_writer() -> None:
        with sqlite_engine.begin() as conn:
            order.append("second began")
            conn.execute(text("INSERT INTO marks VALUES ('second')"))

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.2)
    with sqlite_engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        # A read goes ahead while the first writer holds the turn, and sees only what was committed.
        assert reader.execute(text("SELECT count(*) FROM marks")).scalar() == 0
    order.append("first commits")
    first.commit()
    first.close()
    thread.join(timeout=5)

    assert order == ["first commits", "second began"]
    with sqlite_engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT who FROM marks ORDER BY rowid"))] == [
            "first",
            "second",
        ]


def test_a_connection_returned_without_commit_gives_the_turn_back(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        session.execute(text("INSERT INTO marks VALUES ('abandoned')"))
    # The session closed without committing: rolled back, and the next writer does not wait.
    started = time.monotonic()
    with sqlite_engine.begin() as conn:
        conn.execute(text("INSERT INTO marks VALUES ('next')"))
        assert conn.execute(text("SELECT who FROM marks")).scalars().all() == ["next"]
    assert time.monotonic() - started < 1


def test_a_writer_that_waits_too_long_is_told_to_try_again(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_WRITER_WAIT_SECONDS", 0.2)
    holder = sqlite_engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO marks VALUES ('holder')"))
    errors: list[BaseException] = []

    def impatient() -> None:
        try:
            with sqlite_engine.begin() as conn:
                conn.execute(text("INSERT INTO marks VALUES ('impatient')"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=impatient)
    thread.start()
    thread.join(timeout=5)
    holder.rollback()
    holder.close()

    assert len(errors) == 1 and isinstance(errors[0], Unavailable)
    assert "busy" in errors[0].message and errors[0].retry_after_seconds > 0
