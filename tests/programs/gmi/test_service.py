"""GMI services: blocks are stored with every trial and scored, the stage moves on by the rule after three
good sessions (and not before), a clinician moves a patient by hand with a note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.practice.models import PracticeLog
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.models import LateralityTrial, StageChange
from painrewire.programs.gmi.schemas import BlockResults, ImageryCreate, MovementCreate
from tests.programs.gmi.helpers import answers

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _play(
    session: Session, patient: Patient, when: datetime, *, rt_ms: float = 900.0, wrong_every: int = 0
) -> gmi.BlockOutcome:
    block = gmi.start_block(session, patient.user, patient.id, now=when)
    wrong = (lambda i, _side: i % wrong_every == 0) if wrong_every else None
    data = BlockResults.model_validate({"trials": answers(block.plan, rt_ms=rt_ms, wrong=wrong)})
    return gmi.submit_results(
        session, patient.user, patient.id, block.id, data, now=when + timedelta(minutes=4)
    )


class TestBlocks:
    def test_a_block_is_stored_trial_by_trial_and_scored(self, session: Session, patient: Patient) -> None:
        outcome = _play(session, patient, START)
        block = outcome.block
        trials = session.scalars(select(LateralityTrial).where(LateralityTrial.block_id == block.id)).all()
        assert len(trials) == 44  # 4 practice + 40 scored
        assert sum(t.is_practice for t in trials) == 4
        assert all(t.correct and t.rt_ms == 900.0 and not t.timed_out for t in trials)
        assert block.accuracy == 1.0 and block.median_rt_ms == 900.0
        assert outcome.scores.left.trials == outcome.scores.right.trials == 20
        assert outcome.scores.rotation.trials == outcome.scores.side_bend.trials == 20
        assert block.finished_at is not None
        assert block.scores is not None
        used = block.scores["compared_with"]
        assert used["accuracy_target"] == 0.8 and used["rt_mean_ms"] == 1600
        assert "noinotes" in used["sources"]["accuracy_target"]["source"]
        assert used["sources"]["speed_back"]["confirmed"] is False
        log = session.scalar(select(PracticeLog).where(PracticeLog.source_id == block.id))
        assert log is not None and log.activity == "laterality"

    def test_a_block_cannot_be_answered_twice(self, session: Session, patient: Patient) -> None:
        outcome = _play(session, patient, START)
        data = BlockResults.model_validate({"trials": answers(outcome.block.plan)})
        with pytest.raises(gmi.BlockClosed):
            gmi.submit_results(session, patient.user, patient.id, outcome.block.id, data, now=START)

    def test_an_old_block_is_closed(self, session: Session, patient: Patient) -> None:
        block = gmi.start_block(session, patient.user, patient.id, now=START)
        data = BlockResults.model_validate({"trials": answers(block.plan)})
        with pytest.raises(gmi.BlockClosed, match="6 hours"):
            gmi.submit_results(
                session, patient.user, patient.id, block.id, data, now=START + timedelta(hours=7)
            )

    def test_answers_longer_than_the_time_out_are_refused(self, session: Session, patient: Patient) -> None:
        block = gmi.start_block(session, patient.user, patient.id, now=START)
        data = BlockResults.model_validate({"trials": answers(block.plan, rt_ms=block.timeout_ms + 500)})
        with pytest.raises(InvalidInput, match="longer than this block's time-out"):
            gmi.submit_results(session, patient.user, patient.id, block.id, data, now=START)

    def test_good_blocks_raise_the_level_and_its_pictures(self, session: Session, patient: Patient) -> None:
        _play(session, patient, START)
        _play(session, patient, START + timedelta(hours=1))
        harder = gmi.start_block(session, patient.user, patient.id, now=START + timedelta(hours=2))
        assert harder.level == 2
        assert "oblique" in {t["view"] for t in harder.plan}

    def test_another_patient_finds_no_block(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        block = gmi.start_block(session, patient.user, patient.id, now=START)
        with pytest.raises(NotFound):
            gmi.get_block(session, other_patient.user, patient.id, block.id)
        with pytest.raises(NotFound):
            gmi.get_block(session, other_patient.user, other_patient.id, block.id)


class TestStageProgression:
    def test_three_good_sessions_over_a_week_move_the_patient_to_stage_two(
        self, session: Session, patient: Patient
    ) -> None:
        first = _play(session, patient, START)
        assert first.stage_change is None and first.stage.stage == 1
        second = _play(session, patient, START + timedelta(days=3))
        assert second.stage_change is None
        third = _play(session, patient, START + timedelta(days=7))
        assert third.stage_change is not None
        assert third.stage.stage == 2
        assert third.stage_change.changed_by_id is None
        assert any("3 of 3 practice days" in r for r in third.stage_change.reasons)

    def test_three_sessions_below_80_percent_do_not_move_the_patient(
        self, session: Session, patient: Patient
    ) -> None:
        for day in (0, 3, 7):
            outcome = _play(session, patient, START + timedelta(days=day), wrong_every=4)  # about 75% correct
        assert outcome.stage_change is None and outcome.stage.stage == 1
        assert session.scalar(select(func.count()).select_from(StageChange)) == 0

    def test_slow_sessions_do_not_move_the_patient(self, session: Session, patient: Patient) -> None:
        for day in (0, 3, 7):
            outcome = _play(session, patient, START + timedelta(days=day), rt_ms=2500)
        assert outcome.stage.stage == 1

    def test_imagery_opens_at_stage_two_and_can_open_stage_three(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        data = ImageryCreate(exercise_id="turn_left_gently", seconds=100, effort=3, pain=1)
        with pytest.raises(gmi.StageNotOpen):
            gmi.log_imagery(session, patient.user, patient.id, data, now=START)
        gmi.move_stage(session, clinician, patient.id, stage=2, note="Laterality good in clinic", now=START)
        moved = None
        for k in range(10):
            logged = gmi.log_imagery(
                session, patient.user, patient.id, data, now=START + timedelta(days=4 + k // 2)
            )
            moved = moved or logged.stage_change
        assert moved is not None and moved.stage == 3
        movement = MovementCreate(
            movement_id="seated_turn_small", pain_before=3, fear_before=4, pain_after=3, fear_after=2
        )
        gmi.log_movement(session, patient.user, patient.id, movement, now=START + timedelta(days=10))
        with pytest.raises(gmi.StageNotOpen, match="steady"):
            later = MovementCreate(
                movement_id="carry_and_turn", pain_before=3, fear_before=4, pain_after=3, fear_after=2
            )
            gmi.log_movement(session, patient.user, patient.id, later, now=START + timedelta(days=10))


class TestMoveStage:
    def test_a_clinician_moves_a_patient_with_a_note(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        change = gmi.move_stage(
            session, clinician, patient.id, stage=3, note="  Ready for  real movement ", now=START
        )
        assert change.stage == 3 and change.changed_by_id == clinician.id
        assert change.note == "Ready for real movement"
        assert gmi.stage_state(session, patient).stage == 3
        assert [c.id for c in gmi.stage_history(session, patient)] == [change.id]

    def test_a_note_is_required(self, session: Session, patient: Patient, clinician: User) -> None:
        with pytest.raises(InvalidInput, match="note"):
            gmi.move_stage(session, clinician, patient.id, stage=2, note="  ")
        with pytest.raises(InvalidInput, match="stage"):
            gmi.move_stage(session, clinician, patient.id, stage=4, note="why not")
        with pytest.raises(Conflict, match="already at stage 1"):
            gmi.move_stage(session, clinician, patient.id, stage=1, note="stay")
        assert gmi.stage_history(session, patient) == []

    def test_a_patient_or_an_outside_clinician_cannot_move_a_stage(
        self, session: Session, patient: Patient, other_clinician: User
    ) -> None:
        with pytest.raises(Forbidden):
            gmi.move_stage(session, patient.user, patient.id, stage=2, note="I feel ready")
        with pytest.raises(NotFound):
            gmi.move_stage(session, other_clinician, patient.id, stage=2, note="not my patient")
        assert gmi.stage_history(session, patient) == []
