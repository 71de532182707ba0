"""Fixtures for neurofeedback sessions in the record and live: finished sessions made offline, logged-in
tokens, and a client whose event loop lives as long as the test (live loops run in it)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from painrewire.accounts import service as accounts
from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.db import utcnow
from painrewire.neurofeedback import service
from painrewire.neurofeedback.models import NeurofeedbackSession, SessionStatus
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.sources.synthetic import DEMO_CHANNELS, eeg_like, offline_session
from painrewire.patients.models import Patient


@pytest.fixture
def live_client(app: FastAPI, tmp_path: Path) -> Iterator[TestClient]:
    """A client kept open for the whole test, so the live loops it starts keep running between requests.

    Every unit of work (requests, sockets, the live loops' writes) shares the test's one database connection,
    so they are admitted one at a time.
    """
    app.state.db_concurrency = 1
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def bearer(session: Session, settings: Settings) -> Callable[[User], dict[str, str]]:
    """``bearer(user)``: headers carrying a fresh login of ``user``."""

    def make(user: User) -> dict[str, str]:
        token = accounts.start_session(session, settings, user, kind="api").token
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def consent_to_blinded_sessions(session: Session, patient: Patient) -> None:
    """The patient agrees online to neurofeedback and to blinded sessions (some sham, not said which)."""
    for kind in (ConsentKind.NEUROFEEDBACK, ConsentKind.BLINDED_NEUROFEEDBACK):
        if not consent.has_consent(session, patient.id, kind):
            version = consent.consent_texts()[kind].version
            consent.give_consent(session, patient.user, patient.id, kind=kind, text_version=version)
    session.commit()


def withdraw_blinded_consent(session: Session, patient: Patient) -> None:
    """The patient withdraws their consent to blinded sessions, online."""
    consent.withdraw_consent(session, patient.user, patient.id, kind=ConsentKind.BLINDED_NEUROFEEDBACK)
    session.commit()


@pytest.fixture
def blinded_consent(session: Session, patient: Patient) -> Patient:
    """``patient``, who has consented to blinded sessions."""
    consent_to_blinded_sessions(session, patient)
    return patient


def finished_session(
    session: Session,
    patient: Patient,
    practitioner: User,
    tmp_path: Path,
    *,
    seed: int = 0,
    training_seconds: float = 40.0,
    when: datetime | None = None,
    data: Any = None,
    sham_of: NeurofeedbackSession | None = None,
) -> NeurofeedbackSession:
    """A completed live session, run offline on generated EEG (or ``data``, shaped like it) and stored as the
    live loop stores one; with ``sham_of``, a sham session replaying that one's rewards and feedback."""
    start = when or utcnow() - timedelta(days=2)
    path = tmp_path / f"finished-{uuid.uuid4().hex}.edf"
    run = offline_session(
        eeg_like(DEMO_CHANNELS, 256.0, 30.0, seed=seed) if data is None else data,
        256.0,
        DEMO_CHANNELS,
        get_protocol("alpha"),
        recording_path=path,
        training_seconds=training_seconds,
        baseline_seconds=10.0,
        notes=[(20.0, "eyes closed")],
        start_time=start,
        sham=None
        if sham_of is None
        else ShamReplay(sham_of.hop_rewards or [], sham_of.hop_feedback, source=f"session {sham_of.id}"),
    )
    row = NeurofeedbackSession(
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        protocol="alpha",
        source="playback",
        source_params={},
        planned_seconds=round(training_seconds),
        baseline_seconds=10,
        target_reward_rate=0.7,
        sham=sham_of is not None,
        sham_source_id=None if sham_of is None else sham_of.id,
        status=SessionStatus.RUNNING,
        created_at=start,
        started_at=start,
        heartbeat_at=utcnow(),
    )
    session.add(row)
    session.flush()
    assert run.result.summary is not None
    service.record_outcome(
        session,
        row.id,
        service.SessionOutcome(
            completed=True,
            reason="Completed as planned.",
            ended_at=start + timedelta(seconds=training_seconds + 3),
            summary=run.result.summary.to_dict(),
            rewards=run.rewards,
            feedback=run.feedback,
            recording=path.read_bytes(),
            recording_seconds=training_seconds + 3,
        ),
    )
    session.commit()
    return row


def receive_until(
    socket: WebSocketTestSession, done: Callable[[dict[str, Any]], bool], *, seconds: float = 30.0
) -> list[dict[str, Any]]:
    """Every message up to and including the first for which ``done`` is true; a console's ``batch`` counts as
    its parts, in order."""
    deadline = time.monotonic() + seconds
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        message = socket.receive_json()
        for part in message["parts"] if message.get("type") == "batch" else [message]:
            seen.append(part)
            if done(part):
                return seen
    raise AssertionError(f"gave up after {seconds:g} s; last messages: {seen[-5:]}")
