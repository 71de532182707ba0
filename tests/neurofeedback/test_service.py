"""Sessions in the record: who may set one up, what is refused, what the live loop stores, orphans, practice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.neurofeedback import service
from painrewire.neurofeedback.models import SessionStatus
from painrewire.neurofeedback.schemas import SessionCreate
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog

from .conftest import finished_session


def _short(**kwargs: object) -> SessionCreate:
    return SessionCreate.model_validate({"duration_seconds": 60, "baseline_seconds": 10, **kwargs})


class TestCreateSession:
    def test_a_clinician_off_the_care_team_cannot_set_up_a_session(
        self, session: Session, other_clinician: User, patient: Patient
    ) -> None:
        with pytest.raises(NotFound):
            service.create_session(session, other_clinician, patient.id, _short())

    def test_a_patient_cannot_set_up_their_own_session(self, session: Session, patient: Patient) -> None:
        with pytest.raises(Forbidden, match="run by a clinician"):
            service.create_session(session, patient.user, patient.id, _short())

    def test_the_synthetic_headset_is_the_default_and_can_run_for_several_patients(
        self, session: Session, clinician: User, patient: Patient, create_patient_on_team: Patient
    ) -> None:
        first = service.create_session(session, clinician, patient.id, _short())
        second = service.create_session(session, clinician, create_patient_on_team.id, _short())
        assert first.source == "brainflow" and first.board_id == -1 and first.status is SessionStatus.PLANNED
        assert first.source_params["other_info"] != second.source_params["other_info"]

    def test_a_second_session_for_the_same_patient_is_refused_while_one_is_live(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        service.create_session(session, clinician, patient.id, _short())
        with pytest.raises(Conflict, match="already has a neurofeedback session"):
            service.create_session(session, clinician, patient.id, _short())

    def test_an_open_safety_alert_holds_the_program(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        session.add(
            SafetyAlert(patient_id=patient.id, kind=AlertKind.RED_FLAG, urgency="urgent", summary="x")
        )
        session.flush()
        with pytest.raises(Conflict, match="open safety alert"):
            service.create_session(session, clinician, patient.id, _short())

    def test_an_unknown_board_is_refused_with_the_field_named(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput, match="no board with id 999") as caught:
            service.create_session(session, clinician, patient.id, _short(board_id=999))
        assert caught.value.field == "board_id"

    def test_the_baseline_must_be_shorter_than_the_session(self) -> None:
        with pytest.raises(ValidationError, match="must be shorter than the session"):
            SessionCreate(duration_seconds=30, baseline_seconds=30)

    def test_a_sham_session_needs_an_earlier_live_session_to_replay(
        self, session: Session, clinician: User, blinded_consent: Patient
    ) -> None:
        patient = blinded_consent
        with pytest.raises(InvalidInput, match="has none yet"):
            service.create_session(session, clinician, patient.id, _short(sham=True))

    def test_a_sham_session_replays_the_patients_latest_live_session(
        self, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        patient = blinded_consent
        older = finished_session(session, patient, clinician, tmp_path, when=utcnow() - timedelta(days=9))
        newer = finished_session(session, patient, clinician, tmp_path, when=utcnow() - timedelta(days=2))
        sham = service.create_session(session, clinician, patient.id, _short(sham=True))
        assert sham.sham and sham.sham_source_id == newer.id != older.id
        plan = service.run_plan(session, sham.id)
        assert plan.sham_rewards == newer.hop_rewards and plan.sham_feedback == newer.hop_feedback

    def test_a_sham_session_cannot_replay_another_patients_session(
        self,
        session: Session,
        clinician: User,
        blinded_consent: Patient,
        create_patient_on_team: Patient,
        tmp_path: Path,
    ) -> None:
        patient = blinded_consent
        theirs = finished_session(session, create_patient_on_team, clinician, tmp_path)
        finished_session(session, patient, clinician, tmp_path)
        with pytest.raises(InvalidInput, match="earlier completed live sessions"):
            service.create_session(
                session, clinician, patient.id, _short(sham=True, sham_source_id=theirs.id)
            )

    def test_playback_needs_a_recording_the_clinician_may_see(
        self,
        session: Session,
        clinician: User,
        patient: Patient,
        other_patient: Patient,
        other_clinician: User,
        tmp_path: Path,
    ) -> None:
        hidden = finished_session(session, other_patient, other_clinician, tmp_path)
        with pytest.raises(InvalidInput, match="no recording to play"):
            service.create_session(
                session, clinician, patient.id, _short(source="playback", playback_session_id=hidden.id)
            )
        mine = finished_session(session, patient, clinician, tmp_path)
        row = service.create_session(
            session, clinician, patient.id, _short(source="playback", playback_session_id=mine.id)
        )
        assert service.run_plan(session, row.id).playback_edf == mine.recording_edf


class TestOutcome:
    def test_a_completed_session_keeps_its_summary_latency_and_recording_and_logs_practice(
        self, session: Session, clinician: User, patient: Patient, tmp_path: Path
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path, training_seconds=40.0)
        assert row.status is SessionStatus.COMPLETED and row.heartbeat_at is None
        assert row.summary is not None and row.summary["sham"] is False
        # Feedback follows the first full 2 s window and the 10 s baseline: 40 - 2 - 10 s.
        assert row.summary["minutes_trained"] == pytest.approx((40 - 2 - 10) / 60, abs=0.01)
        assert row.recording_seconds == pytest.approx(43.0) and row.recording_edf is not None
        assert len(row.hop_rewards or []) == len(row.hop_feedback or []) > 100
        log = session.scalar(select(PracticeLog).where(PracticeLog.source_id == row.id))
        assert log is not None and log.module is Module.NEUROFEEDBACK
        assert log.minutes == pytest.approx(row.summary["minutes_trained"] + 10 / 60, abs=0.01)

    def test_a_session_that_never_trained_is_aborted_and_logs_no_practice(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = service.create_session(session, clinician, patient.id, _short())
        service.record_outcome(
            session,
            row.id,
            service.SessionOutcome(
                completed=True, reason="Stopped before training began.", ended_at=utcnow()
            ),
        )
        assert row.status is SessionStatus.ABORTED
        assert session.scalar(select(PracticeLog).where(PracticeLog.source_id == row.id)) is None


class TestOrphans:
    def test_a_session_whose_server_stopped_is_ended_and_frees_the_patient(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = service.create_session(session, clinician, patient.id, _short())
        row.heartbeat_at = utcnow() - timedelta(seconds=service.STALE_SECONDS + 5)
        session.flush()
        again = service.create_session(session, clinician, patient.id, _short())
        session.refresh(row)
        assert row.status is SessionStatus.ABORTED and "server running this session stopped" in row.end_reason
        assert again.status is SessionStatus.PLANNED

    def test_a_session_with_a_fresh_heartbeat_stays_live(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = service.create_session(session, clinician, patient.id, _short())
        service.touch(session, [row.id], at=utcnow())
        assert service.settle_orphans(session) == 0
        assert service.live_session_of(session, patient) is row


class TestNotes:
    def test_notes_are_refused_once_a_session_has_ended(
        self, session: Session, clinician: User, patient: Patient, tmp_path: Path
    ) -> None:
        row = finished_session(session, patient, clinician, tmp_path)
        with pytest.raises(Conflict, match="not running"):
            service.add_note(session, clinician, row.id, "too late")

    def test_a_note_is_timed_from_the_start_of_the_recording(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = service.create_session(session, clinician, patient.id, _short())
        service.record_started(session, row.id, at=utcnow() - timedelta(seconds=30))
        note = service.add_note(session, clinician, row.id, "  patient relaxed  ")
        assert note.text == "patient relaxed" and note.offset_seconds == pytest.approx(30, abs=1)


def test_another_patient_cannot_open_a_session(
    session: Session, clinician: User, patient: Patient, other_patient: Patient, tmp_path: Path
) -> None:
    row = finished_session(session, patient, clinician, tmp_path)
    with pytest.raises(NotFound):
        service.own_session(session, other_patient.user, row.id)
    with pytest.raises(NotFound):
        service.get_session(session, other_patient.user, row.id)
    with pytest.raises(NotFound):
        service.get_session(session, clinician, uuid.uuid4())


@pytest.fixture
def create_patient_on_team(session: Session, clinician: User) -> Patient:
    from tests.fixtures.factories import create_patient

    return create_patient(session, care_team=[clinician], cleared=True)
