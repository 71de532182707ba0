"""Graded motor imagery: left/right blocks (plan, timed answers, scores), imagined movements, the graded
movement ladder, and the stage a patient is at (moved on by the rules, or by a clinician with a note).

Every function that takes an actor checks access through `painrewire.patients.access` (which audits it);
the ``*_for`` functions are for a patient whose access the caller already checked. Services flush, never
commit: the request owns the transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.clearance import gate
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.gmi import content, progression, scoring, stimuli
from painrewire.programs.gmi.models import (
    ImageryLog,
    LateralityBlock,
    LateralityTrial,
    MovementLog,
    NormParticipant,
    StageChange,
)
from painrewire.programs.gmi.schemas import BlockResults, ImageryCreate, MovementCreate

#: A block's answers are accepted for this long after it was started; later, start a new block.
BLOCK_EXPIRY = timedelta(hours=6)
#: A key press handled just after the time-out fired is still accepted, up to this much late.
RT_SLACK_MS = 100.0
#: Practice time logged for a block is capped at this much per picture beyond its time-out.
SECONDS_PER_PICTURE_BEYOND_TIMEOUT = 3.0

BLOCK_RESOURCE = "gmi_block"
STAGE_RESOURCE = "gmi_stage"


class StageNotOpen(Conflict):
    """The patient is not yet at the stage this practice belongs to."""


class BlockClosed(Conflict):
    """The block's answers were already saved, or it is too old to accept them."""


def image_url(stimulus_id: str) -> str:
    """The picture's address; the drawing version in it makes browsers fetch a redrawn picture anew."""
    return f"/gmi/stimuli/{stimulus_id}.svg?d={stimuli.DRAWING_VERSION}"


# --- stage ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageState:
    stage: int
    since: datetime
    change: StageChange | None


def stage_state(session: Session, patient: Patient, *, now: datetime | None = None) -> StageState:
    """The patient's current stage and since when: the latest stage change, or stage 1 since the first block."""
    change = session.scalar(
        select(StageChange)
        .where(StageChange.patient_id == patient.id)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(1)
    )
    if change is not None:
        return StageState(change.stage, change.changed_at, change)
    first = session.scalar(
        select(func.min(LateralityBlock.started_at)).where(LateralityBlock.patient_id == patient.id)
    )
    return StageState(1, first or now or utcnow(), None)


def stage_history(session: Session, patient: Patient) -> list[StageChange]:
    return list(
        session.scalars(
            select(StageChange)
            .where(StageChange.patient_id == patient.id)
            .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        )
    )


def readiness_for(
    session: Session, patient: Patient, state: StageState, *, now: datetime | None = None
) -> progression.Readiness | None:
    """How far the patient is from moving on from their current stage (None at the last stage)."""
    rules = content.stages()
    today = patient.local_today(now)
    since_day = patient.local_today(state.since)
    if state.stage == 1:
        summaries = [
            s
            for b, s in summaries_for(session, patient)
            if state.change is None or (b.finished_at is not None and b.finished_at >= state.since)
        ]
        return progression.stage_one_ready(summaries, in_stage_since=since_day, today=today, rule=rules.one)
    if state.stage == 2:
        logs = imagery_for(session, patient)
        entries = [
            progression.ImageryEntry(patient.local_today(log.done_at), log.pain, log.effort) for log in logs
        ]
        return progression.stage_two_ready(entries, in_stage_since=since_day, today=today, rule=rules.two)
    return None


def _advance_if_ready(session: Session, patient: Patient, *, now: datetime | None) -> StageChange | None:
    state = stage_state(session, patient, now=now)
    ready = readiness_for(session, patient, state, now=now)
    if ready is None or not ready.ready:
        return None
    change = StageChange(
        patient_id=patient.id,
        stage=state.stage + 1,
        changed_at=now or utcnow(),
        changed_by_id=None,
        note="",
        reasons=ready.reasons,
    )
    session.add(change)
    session.flush()
    return change


def move_stage(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    stage: int,
    note: str,
    now: datetime | None = None,
) -> StageChange:
    """A clinician on the care team moves the patient to ``stage`` by hand; the note says why."""
    if actor.role != Role.CLINICIAN:
        access.patient_for(session, actor, patient_id, resource_type=STAGE_RESOURCE)  # outsiders: 404
    access.require_role(
        actor,
        Role.CLINICIAN,
        message="Only a clinician on the care team can move a patient between GMI stages.",
    )
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=STAGE_RESOURCE
    )
    if stage not in (1, 2, 3):
        raise InvalidInput("stage: choose stage 1, 2 or 3.", field="stage")
    text = " ".join(note.split())
    if len(text) < 3:
        raise InvalidInput("note: say in a few words why the patient is moved.", field="note")
    current = stage_state(session, patient, now=now)
    if current.stage == stage:
        raise Conflict(f"The patient is already at stage {stage}.")
    change = StageChange(
        patient_id=patient.id,
        stage=stage,
        changed_at=now or utcnow(),
        changed_by_id=actor.id,
        note=text[:2000],
        reasons=[f"moved by hand from stage {current.stage} to stage {stage}"],
    )
    session.add(change)
    session.flush()
    return change


# --- left/right blocks ---------------------------------------------------------------------------------


def finished_blocks_for(
    session: Session, patient: Patient, *, limit: int | None = None
) -> list[LateralityBlock]:
    """Scored blocks, newest first."""
    stmt = (
        select(LateralityBlock)
        .where(LateralityBlock.patient_id == patient.id, LateralityBlock.finished_at.is_not(None))
        .order_by(LateralityBlock.finished_at.desc(), LateralityBlock.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def block_scores(block: LateralityBlock) -> scoring.BlockScores | None:
    return scoring.BlockScores.from_json(block.scores) if block.scores else None


def _summary(
    patient: Patient, block: LateralityBlock, scores: scoring.BlockScores
) -> progression.BlockSummary:
    overall = scores.overall
    return progression.BlockSummary(
        day=patient.local_today(block.finished_at),
        level=block.level,
        accuracy=overall.accuracy,
        left_accuracy=scores.left.accuracy,
        right_accuracy=scores.right.accuracy,
        left_rt_ms=scores.left.median_rt_ms,
        right_rt_ms=scores.right.median_rt_ms,
        timeout_share=overall.timed_out / overall.trials if overall.trials else 0.0,
        left_right_flag=scores.left_right_flag,
    )


def summaries_for(
    session: Session, patient: Patient
) -> list[tuple[LateralityBlock, progression.BlockSummary]]:
    """Finished blocks with their rule summaries, newest first."""
    out = []
    for block in finished_blocks_for(session, patient):
        scores = block_scores(block)
        if scores is not None:
            out.append((block, _summary(patient, block, scores)))
    return out


def level_for(session: Session, patient: Patient) -> progression.LevelDecision:
    """The level of the patient's next block, by the adaptive rules."""
    return progression.next_level([s for _, s in summaries_for(session, patient)], content.trainer())


def history_for(session: Session, patient: Patient) -> list[scoring.HistoryPoint]:
    """Finished blocks as trend points, oldest first."""
    points = []
    for block in reversed(finished_blocks_for(session, patient)):
        scores = block_scores(block)
        if scores is not None and block.finished_at is not None:
            points.append(scoring.HistoryPoint.of(block.finished_at, block.level, scores))
    return points


def start_block(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    trials: int | None = None,
    now: datetime | None = None,
) -> LateralityBlock:
    """Plan a new block at the patient's level: practice pictures, then balanced scored ones in random order."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=BLOCK_RESOURCE
    )
    gate.ensure_practice_open(session, actor, patient, Module.GMI)
    trainer = content.trainer()
    count = trainer.trials if trials is None else trials
    if count not in trainer.allowed_trials:
        allowed = ", ".join(str(n) for n in trainer.allowed_trials)
        raise InvalidInput(f"trials: choose {allowed} pictures per block; got {count}.", field="trials")
    decision = level_for(session, patient)
    level = trainer.level(decision.level)
    seed = secrets.randbelow(2**31)
    plan = stimuli.build_plan(
        views=level.views,
        angle_classes=level.angles,
        trials=count,
        practice=trainer.practice_trials,
        seed=seed,
    )
    block = LateralityBlock(
        patient_id=patient.id,
        started_at=now or utcnow(),
        level=level.level,
        seed=seed,
        timeout_ms=level.timeout_ms,
        plan=[t.as_json() for t in plan],
    )
    session.add(block)
    session.flush()
    return block


def _block(session: Session, patient: Patient, block_id: uuid.UUID, *, lock: bool = False) -> LateralityBlock:
    stmt = select(LateralityBlock).where(
        LateralityBlock.id == block_id, LateralityBlock.patient_id == patient.id
    )
    if lock:
        stmt = stmt.with_for_update()
    block = session.scalar(stmt)
    if block is None:
        raise NotFound("No such block for this patient.")
    return block


def get_block(
    session: Session, actor: User, patient_id: uuid.UUID, block_id: uuid.UUID
) -> tuple[LateralityBlock, list[LateralityTrial]]:
    patient = access.patient_for(
        session, actor, patient_id, resource_type=BLOCK_RESOURCE, resource_id=block_id
    )
    block = _block(session, patient, block_id)
    return block, trials_of(session, block)


def trials_of(session: Session, block: LateralityBlock) -> list[LateralityTrial]:
    return list(
        session.scalars(
            select(LateralityTrial)
            .where(LateralityTrial.block_id == block.id)
            .order_by(LateralityTrial.index)
        )
    )


def list_blocks(
    session: Session, actor: User, patient_id: uuid.UUID, *, limit: int = 100
) -> list[LateralityBlock]:
    patient = access.patient_for(session, actor, patient_id, resource_type=BLOCK_RESOURCE)
    return finished_blocks_for(session, patient, limit=max(1, min(limit, 500)))


def _check_results(block: LateralityBlock, data: BlockResults) -> None:
    """Every planned picture answered once, with its own stimulus, and times within the block's limits."""
    plan = {int(t["index"]): t for t in block.plan}
    seen: set[int] = set()
    limit = block.timeout_ms + RT_SLACK_MS
    for i, trial in enumerate(data.trials):
        where = f"trials.{i}"
        planned = plan.get(trial.index)
        if planned is None:
            raise InvalidInput(
                f"{where}.index: this block has pictures 0 to {len(plan) - 1}; got {trial.index}.",
                field=f"{where}.index",
            )
        if trial.index in seen:
            raise InvalidInput(
                f"{where}.index: picture {trial.index} is answered twice.", field=f"{where}.index"
            )
        seen.add(trial.index)
        if trial.stimulus_id != planned["stimulus_id"]:
            raise InvalidInput(
                f"{where}.stimulus_id: picture {trial.index} of this block is not {trial.stimulus_id!r}.",
                field=f"{where}.stimulus_id",
            )
        if trial.rt_ms is not None and trial.rt_ms > limit:
            raise InvalidInput(
                f"{where}.rt_ms: {trial.rt_ms:.0f} ms is longer than this block's time-out of {block.timeout_ms} ms.",
                field=f"{where}.rt_ms",
            )
    missing = sorted(set(plan) - seen)
    if missing:
        raise InvalidInput(
            f"trials: {len(missing)} of the block's {len(plan)} pictures have no result (first: {missing[0]}).",
            field="trials",
        )


def norms_used(norms: content.Norms, reference: scoring.NormReference | None = None) -> dict[str, Any]:
    """The norms a block was compared with and their sources, kept with its scores (norms may be revised)."""
    return {
        "reference": (reference or scoring.published_reference(norms)).as_json(),
        "accuracy_target": norms.accuracy_target,
        "rt_mean_ms": norms.rt_mean_ms,
        "rt_sd_ms": norms.rt_sd_ms,
        "left_right_accuracy_gap": norms.left_right_accuracy_gap,
        "left_right_rt_gap_ms": norms.left_right_rt_gap_ms,
        "sources": {
            key: {"source": norms.source(key).source, "confirmed": norms.source(key).confirmed}
            for key in ("accuracy_target", "speed_back", "left_right_flag")
        },
    }


@dataclass(frozen=True)
class BlockOutcome:
    block: LateralityBlock
    scores: scoring.BlockScores
    norms: list[scoring.NormCheck]
    history: scoring.HistoryComparison
    next_level: progression.LevelDecision
    stage: StageState
    stage_change: StageChange | None
    readiness: progression.Readiness | None
    reference: scoring.NormReference | None = None


def _store_results(
    session: Session,
    block: LateralityBlock,
    data: BlockResults,
    *,
    when: datetime,
    user_agent: str,
    reference: scoring.NormReference | None,
) -> scoring.BlockScores:
    """Keep every trial of a checked block and its scores; a second save racing this one is refused."""
    plan = {int(t["index"]): t for t in block.plan}
    outcomes: list[scoring.TrialOutcome] = []
    rows: list[LateralityTrial] = []
    for trial in sorted(data.trials, key=lambda t: t.index):
        planned = plan[trial.index]
        outcome = scoring.TrialOutcome(
            side=planned["side"],
            movement=planned["movement"],
            view=planned["view"],
            answer=trial.answer,
            rt_ms=None if trial.rt_ms is None else round(trial.rt_ms, 2),
            timed_out=trial.timed_out,
            is_practice=bool(planned["is_practice"]),
        )
        outcomes.append(outcome)
        rows.append(
            LateralityTrial(
                block_id=block.id,
                index=trial.index,
                stimulus_id=trial.stimulus_id,
                side=outcome.side,
                movement=outcome.movement,
                view=outcome.view,
                is_practice=outcome.is_practice,
                answer=outcome.answer,
                rt_ms=outcome.rt_ms,
                timed_out=outcome.timed_out,
                correct=outcome.correct,
            )
        )
    norms = content.norms()
    scores = scoring.score_block(outcomes, norms)
    kept = scores.as_json()
    if not block.is_norm:
        kept["compared_with"] = norms_used(norms, reference)
    try:
        with session.begin_nested():
            session.add_all(rows)
            block.finished_at = when
            block.scores = kept
            block.accuracy = scores.overall.accuracy
            block.median_rt_ms = scores.overall.median_rt_ms
            block.user_agent = user_agent[:300]
            block.client_timing = data.timing.model_dump() if data.timing else None
            session.flush()
    except IntegrityError as exc:
        raise BlockClosed("This block's answers were saved at the same moment elsewhere.") from exc
    return scores


def submit_results(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    block_id: uuid.UUID,
    data: BlockResults,
    *,
    user_agent: str = "",
    now: datetime | None = None,
) -> BlockOutcome:
    """Store a block's timed answers (once), score it, log the practice and apply the progression rules."""
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type=BLOCK_RESOURCE,
        resource_id=block_id,
    )
    block = _block(session, patient, block_id, lock=True)
    when = now or utcnow()
    if block.finished_at is not None:
        raise BlockClosed("This block's answers were already saved.")
    if when - block.started_at > BLOCK_EXPIRY:
        raise BlockClosed("This block was started more than 6 hours ago. Please start a new block.")
    _check_results(block, data)
    earlier = history_for(session, patient)
    reference = reference_for(session, block.level)
    scores = _store_results(session, block, data, when=when, user_agent=user_agent, reference=reference)
    pictures = len(block.plan)
    cap = pictures * (block.timeout_ms / 1000 + SECONDS_PER_PICTURE_BEYOND_TIMEOUT) / 60
    minutes = min(max((when - block.started_at).total_seconds() / 60, 0.0), cap)
    level = content.trainer().level(block.level)
    practice_log.log_practice(
        session,
        patient,
        module=Module.GMI,
        activity="laterality",
        title=f"Left/right judgement, level {level.level} ({level.name})",
        minutes=round(minutes, 2),
        source_id=block.id,
        now=when,
    )
    change = _advance_if_ready(session, patient, now=when)
    state = stage_state(session, patient, now=when)
    current = scoring.HistoryPoint.of(when, block.level, scores)
    return BlockOutcome(
        block=block,
        scores=scores,
        norms=scoring.compare_with_norms(scores, content.norms(), reference),
        history=scoring.compare_with_history(current, earlier),
        next_level=level_for(session, patient),
        stage=state,
        stage_change=change,
        readiness=readiness_for(session, patient, state, now=when),
        reference=reference,
    )


# --- imagined movements and graded movement ------------------------------------------------------------


def imagery_for(session: Session, patient: Patient, *, limit: int | None = None) -> list[ImageryLog]:
    """Imagined-movement logs, newest first."""
    stmt = (
        select(ImageryLog)
        .where(ImageryLog.patient_id == patient.id)
        .order_by(ImageryLog.done_at.desc(), ImageryLog.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def movements_for(session: Session, patient: Patient, *, limit: int | None = None) -> list[MovementLog]:
    """Graded-movement logs, newest first."""
    stmt = (
        select(MovementLog)
        .where(MovementLog.patient_id == patient.id)
        .order_by(MovementLog.done_at.desc(), MovementLog.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def ladder_for(session: Session, patient: Patient) -> list[progression.RungStatus]:
    entries = [
        progression.MovementEntry(m.movement_id, m.pain_before, m.pain_after, m.fear_before, m.fear_after)
        for m in reversed(movements_for(session, patient))
    ]
    return progression.ladder_status(entries, content.ladder())


def _require_stage(session: Session, patient: Patient, stage: int, what: str, now: datetime | None) -> None:
    current = stage_state(session, patient, now=now).stage
    if current < stage:
        raise StageNotOpen(
            f"{what} opens at stage {stage}; you are at stage {current}. Your care team or your practice results "
            "will move you on when you are ready."
        )


@dataclass(frozen=True)
class Logged:
    log: ImageryLog | MovementLog
    stage_change: StageChange | None


def log_imagery(
    session: Session, actor: User, patient_id: uuid.UUID, data: ImageryCreate, *, now: datetime | None = None
) -> Logged:
    """Record one guided imagined movement with its effort and pain ratings; may open stage 3."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="gmi_imagery"
    )
    exercise = content.imagery().get(data.exercise_id)
    if exercise is None:
        choices = ", ".join(content.imagery())
        raise InvalidInput(
            f"exercise_id: unknown exercise {data.exercise_id!r}; choose from {choices}.", field="exercise_id"
        )
    gate.ensure_practice_open(session, actor, patient, Module.GMI)
    _require_stage(session, patient, 2, "Imagined movement", now)
    limit = exercise.seconds * 4
    if data.seconds > limit:
        raise InvalidInput(
            f"seconds: at most {limit} seconds can be logged for this exercise; got {data.seconds}.",
            field="seconds",
        )
    when = now or utcnow()
    log = ImageryLog(
        patient_id=patient.id,
        exercise_id=exercise.id,
        done_at=when,
        seconds=data.seconds,
        effort=data.effort,
        pain=data.pain,
    )
    session.add(log)
    session.flush()
    practice_log.log_practice(
        session,
        patient,
        module=Module.GMI,
        activity="motor_imagery",
        title=f"Imagined movement: {exercise.title}",
        minutes=round(data.seconds / 60, 2),
        pain_after=data.pain,
        source_id=log.id,
        now=when,
    )
    return Logged(log, _advance_if_ready(session, patient, now=when))


def log_movement(
    session: Session, actor: User, patient_id: uuid.UUID, data: MovementCreate, *, now: datetime | None = None
) -> Logged:
    """Record one real movement of the ladder with pain and fear before and after."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="gmi_movement"
    )
    ladder = content.ladder()
    try:
        step = ladder.step(data.movement_id)
    except KeyError:
        choices = ", ".join(s.id for s in ladder.steps)
        raise InvalidInput(
            f"movement_id: unknown movement {data.movement_id!r}; choose from {choices}.", field="movement_id"
        ) from None
    gate.ensure_practice_open(session, actor, patient, Module.GMI)
    _require_stage(session, patient, 3, "Graded movement", now)
    status = {r.movement_id: r for r in ladder_for(session, patient)}
    if not status[step.id].open:
        raise StageNotOpen(
            f"“{step.title}” opens when the step before it feels steady. Keep going with the earlier steps first."
        )
    when = now or utcnow()
    log = MovementLog(
        patient_id=patient.id,
        movement_id=step.id,
        done_at=when,
        pain_before=data.pain_before,
        pain_after=data.pain_after,
        fear_before=data.fear_before,
        fear_after=data.fear_after,
    )
    session.add(log)
    session.flush()
    practice_log.log_practice(
        session,
        patient,
        module=Module.GMI,
        activity="graded_movement",
        title=f"Graded movement: {step.title}",
        minutes=2.0,
        pain_before=data.pain_before,
        pain_after=data.pain_after,
        fear_before=data.fear_before,
        fear_after=data.fear_after,
        source_id=log.id,
        now=when,
    )
    return Logged(log, None)


def list_imagery(session: Session, actor: User, patient_id: uuid.UUID) -> list[ImageryLog]:
    patient = access.patient_for(session, actor, patient_id, resource_type="gmi_imagery")
    return imagery_for(session, patient, limit=500)


def list_movements(session: Session, actor: User, patient_id: uuid.UUID) -> list[MovementLog]:
    patient = access.patient_for(session, actor, patient_id, resource_type="gmi_movement")
    return movements_for(session, patient, limit=500)


def stage_changes(session: Session, actor: User, patient_id: uuid.UUID) -> list[StageChange]:
    patient = access.patient_for(session, actor, patient_id, resource_type=STAGE_RESOURCE)
    return stage_history(session, patient)


# --- overview ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """What the patient's GMI page and the clinician's panel show."""

    patient: Patient
    stage: StageState
    readiness: progression.Readiness | None
    level: progression.LevelDecision
    latest: LateralityBlock | None
    latest_scores: scoring.BlockScores | None
    norm_checks: list[scoring.NormCheck]
    history: list[scoring.HistoryPoint]
    comparison: scoring.HistoryComparison | None
    changes: Sequence[StageChange]
    #: What the latest block is compared with (the published figures or the clinic's norms at its level).
    reference: scoring.NormReference | None = None


def overview_for(session: Session, patient: Patient, *, now: datetime | None = None) -> Overview:
    state = stage_state(session, patient, now=now)
    history = history_for(session, patient)
    latest_blocks = finished_blocks_for(session, patient, limit=1)
    latest = latest_blocks[0] if latest_blocks else None
    scores = block_scores(latest) if latest else None
    comparison = None
    if scores is not None and history:
        comparison = scoring.compare_with_history(history[-1], history[:-1])
    decision = level_for(session, patient)
    reference = reference_for(session, latest.level if latest else decision.level)
    return Overview(
        patient=patient,
        stage=state,
        readiness=readiness_for(session, patient, state, now=now),
        level=decision,
        latest=latest,
        latest_scores=scores,
        norm_checks=scoring.compare_with_norms(scores, content.norms(), reference) if scores else [],
        history=history,
        comparison=comparison,
        changes=stage_history(session, patient),
        reference=reference,
    )


def overview(session: Session, actor: User, patient_id: uuid.UUID) -> Overview:
    patient = access.patient_for(session, actor, patient_id, resource_type=BLOCK_RESOURCE)
    return overview_for(session, patient)


# --- norm blocks and the clinic's own norms -----------------------------------------------------------

NORM_RESOURCE = "gmi_norm_block"
#: Age bands recorded for a norm participant (no name, no birth date: a volunteer stays anonymous).
AGE_BANDS = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")
PARTICIPANT_KINDS = ("clinician", "volunteer")


def _collects_norms(actor: User) -> None:
    access.require_role(actor, Role.CLINICIAN, message="Only clinicians collect norm blocks.")


def record_norm_participant(
    session: Session,
    actor: User,
    *,
    kind: str,
    age_band: str,
    pain_free: bool,
    now: datetime | None = None,
) -> NormParticipant:
    """A clinician records who takes a norm block: themselves, or a volunteer without an account (age band
    only). Norms come from people without back pain, so that is confirmed first. A clinician is one
    participant however often they take part; their age band is kept up to date."""
    _collects_norms(actor)
    if kind not in PARTICIPANT_KINDS:
        raise InvalidInput("kind: choose yourself (clinician) or a volunteer.", field="kind")
    if age_band not in AGE_BANDS:
        raise InvalidInput(f"age_band: choose one of {', '.join(AGE_BANDS)}.", field="age_band")
    if not pain_free:
        raise InvalidInput(
            "pain_free: norm blocks are for people with no back pain now and none in the past three months.",
            field="pain_free",
        )
    if kind == "clinician":
        mine = session.scalar(select(NormParticipant).where(NormParticipant.user_id == actor.id))
        if mine is not None:
            mine.age_band = age_band
            session.flush()
            return mine
    participant = NormParticipant(
        kind=kind,
        user_id=actor.id if kind == "clinician" else None,
        age_band=age_band,
        pain_free=True,
        recorded_by_id=actor.id,
        recorded_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(participant)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("You were recorded as a norm participant at the same moment elsewhere.") from exc
    return participant


def norm_participant(session: Session, actor: User, participant_id: uuid.UUID) -> NormParticipant:
    """A participant the clinician may run norm blocks for: any volunteer, or themselves."""
    _collects_norms(actor)
    participant = session.get(NormParticipant, participant_id)
    if participant is None:
        raise NotFound("No such norm participant.")
    if participant.kind == "clinician" and participant.user_id != actor.id:
        raise Forbidden("A clinician takes their own norm blocks, signed in as themselves.")
    return participant


def start_norm_block(
    session: Session,
    actor: User,
    participant_id: uuid.UUID,
    *,
    level: int,
    trials: int | None = None,
    now: datetime | None = None,
) -> LateralityBlock:
    """Plan a norm block at ``level``: the same pictures and timing a patient gets there, for no one's
    practice."""
    participant = norm_participant(session, actor, participant_id)
    trainer = content.trainer()
    if level not in [lv.level for lv in trainer.levels]:
        raise InvalidInput(f"level: choose a level from 1 to {trainer.top}; got {level}.", field="level")
    count = trainer.trials if trials is None else trials
    if count not in trainer.allowed_trials:
        allowed = ", ".join(str(n) for n in trainer.allowed_trials)
        raise InvalidInput(f"trials: choose {allowed} pictures per block; got {count}.", field="trials")
    chosen = trainer.level(level)
    seed = secrets.randbelow(2**31)
    plan = stimuli.build_plan(
        views=chosen.views,
        angle_classes=chosen.angles,
        trials=count,
        practice=trainer.practice_trials,
        seed=seed,
    )
    block = LateralityBlock(
        patient_id=None,
        norm_participant_id=participant.id,
        started_at=now or utcnow(),
        level=chosen.level,
        seed=seed,
        timeout_ms=chosen.timeout_ms,
        plan=[t.as_json() for t in plan],
    )
    session.add(block)
    session.flush()
    return block


def norm_block(
    session: Session, actor: User, block_id: uuid.UUID, *, lock: bool = False
) -> tuple[LateralityBlock, NormParticipant]:
    """A norm block the clinician may see: one of a volunteer, or their own."""
    _collects_norms(actor)
    stmt = select(LateralityBlock).where(
        LateralityBlock.id == block_id, LateralityBlock.norm_participant_id.is_not(None)
    )
    if lock:
        stmt = stmt.with_for_update()
    block = session.scalar(stmt)
    if block is None or block.norm_participant_id is None:
        raise NotFound("No such norm block.")
    return block, norm_participant(session, actor, block.norm_participant_id)


def submit_norm_results(
    session: Session,
    actor: User,
    block_id: uuid.UUID,
    data: BlockResults,
    *,
    user_agent: str = "",
    now: datetime | None = None,
) -> LateralityBlock:
    """Store a norm block's timed answers (once) and score it; it counts towards the clinic's norms."""
    block, _ = norm_block(session, actor, block_id, lock=True)
    when = now or utcnow()
    if block.finished_at is not None:
        raise BlockClosed("This norm block's answers were already saved.")
    if when - block.started_at > BLOCK_EXPIRY:
        raise BlockClosed("This norm block was started more than 6 hours ago. Please start a new one.")
    _check_results(block, data)
    _store_results(session, block, data, when=when, user_agent=user_agent, reference=None)
    return block


def local_norm_for(session: Session, level: int) -> scoring.LocalNorm:
    """The clinic's norm at ``level``: each pain-free participant's first finished norm block there."""
    rows = session.execute(
        select(LateralityBlock.norm_participant_id, LateralityBlock.accuracy, LateralityBlock.median_rt_ms)
        .join(NormParticipant, NormParticipant.id == LateralityBlock.norm_participant_id)
        .where(
            LateralityBlock.level == level,
            LateralityBlock.finished_at.is_not(None),
            NormParticipant.pain_free.is_(True),
        )
        .order_by(LateralityBlock.finished_at, LateralityBlock.id)
    ).all()
    first: dict[uuid.UUID | None, tuple[float | None, float | None]] = {}
    for participant_id, accuracy, rt in rows:
        first.setdefault(participant_id, (accuracy, rt))
    people = [(a, t) for a, t in first.values() if a is not None and t is not None]
    return scoring.local_norm(level, people)


def local_norms(session: Session) -> list[scoring.LocalNorm]:
    """The clinic's norm at every level of the trainer."""
    return [local_norm_for(session, level.level) for level in content.trainer().levels]


def reference_for(session: Session, level: int) -> scoring.NormReference:
    """What a block at ``level`` is compared with: the clinic's norms there once enough pain-free people
    took a norm block, else the published figures (measured with photographs)."""
    return scoring.choose_reference(content.norms(), local_norm_for(session, level))


def my_norm_participant(session: Session, actor: User) -> NormParticipant | None:
    """The clinician's own participant record, if they took part."""
    return session.scalar(select(NormParticipant).where(NormParticipant.user_id == actor.id))


def norm_blocks_run_by(session: Session, actor: User, *, limit: int = 20) -> list[LateralityBlock]:
    """Recent finished norm blocks of the volunteers this clinician recorded and of the clinician, newest
    first."""
    _collects_norms(actor)
    return list(
        session.scalars(
            select(LateralityBlock)
            .join(NormParticipant, NormParticipant.id == LateralityBlock.norm_participant_id)
            .where(
                LateralityBlock.finished_at.is_not(None),
                (NormParticipant.recorded_by_id == actor.id) | (NormParticipant.user_id == actor.id),
            )
            .order_by(LateralityBlock.finished_at.desc(), LateralityBlock.id.desc())
            .limit(limit)
        )
    )
