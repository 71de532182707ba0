"""API shapes for graded motor imagery."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Answer = Literal["left", "right"]


class BlockCreate(BaseModel):
    trials: int | None = Field(
        default=None,
        description="Scored pictures in the block (20, 40 or 60); the clinic's default if left out",
    )


class PlannedTrialRead(BaseModel):
    index: int
    stimulus_id: str
    image_url: str
    is_practice: bool
    side: Answer | None = Field(
        default=None, description="The right answer, given for practice pictures only (they show feedback)"
    )


class BlockStarted(BaseModel):
    id: uuid.UUID
    level: int
    level_name: str
    level_description: str
    timeout_ms: int
    trials: int
    practice_trials: int
    plan: list[PlannedTrialRead]
    results_url: str


class TrialResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=1000, description="Position in the block's plan")
    stimulus_id: str = Field(min_length=1, max_length=64, description="The picture shown at that position")
    answer: Answer | None = Field(description="left or right; null when the picture timed out")
    rt_ms: float | None = Field(
        default=None,
        gt=0,
        le=60000,
        description="Milliseconds from the frame that painted the picture to the key or touch event",
    )
    timed_out: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> TrialResult:
        if self.timed_out and (self.answer is not None or self.rt_ms is not None):
            raise ValueError("a timed-out picture has no answer and no reaction time")
        if not self.timed_out and (self.answer is None or self.rt_ms is None):
            raise ValueError("an answered picture needs both answer and rt_ms (or timed_out: true)")
        return self


class ClientTiming(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str = Field(max_length=60, description="How onset was taken, e.g. decode+2raf")
    frame_ms: float | None = Field(default=None, ge=0, le=1000, description="Median frame interval measured")
    clock: str = Field(default="performance.now", max_length=40)


class BlockResults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trials: list[TrialResult] = Field(min_length=1, max_length=200)
    timing: ClientTiming | None = None


class GroupScoreRead(BaseModel):
    trials: int
    correct: int
    timed_out: int
    too_fast: int
    accuracy: float | None
    median_rt_ms: float | None


class NormCheckRead(BaseModel):
    what: str
    value: float | None
    norm: str
    status: str
    confirmed: bool


class BlockRead(BaseModel):
    id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    level: int
    timeout_ms: int
    accuracy: float | None = Field(description="Fraction of scored pictures answered correctly (0 to 1)")
    median_rt_ms: float | None = Field(description="Median time of correct answers, ms")
    left_right_flag: bool
    scores: dict[str, Any] | None
    client_timing: dict[str, Any] | None


class TrialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    index: int
    stimulus_id: str
    side: str
    movement: str
    view: str
    is_practice: bool
    answer: str | None
    rt_ms: float | None
    timed_out: bool
    correct: bool


class BlockDetail(BlockRead):
    trials: list[TrialRead]


class LevelDecisionRead(BaseModel):
    level: int
    change: int
    reason: str


class CriterionRead(BaseModel):
    text: str
    met: bool


class StageRead(BaseModel):
    stage: int
    name: str
    since: datetime
    moved_now: bool = False
    next_stage_criteria: list[CriterionRead] = Field(default_factory=list)


class BlockFinished(BaseModel):
    block: BlockRead
    norms: list[NormCheckRead]
    compared_with: NormReferenceRead | None = None
    history: list[str]
    next_level: LevelDecisionRead
    stage: StageRead


class ImageryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str = Field(max_length=64)
    seconds: int = Field(ge=1, le=3600, description="Time spent on the exercise")
    effort: int = Field(ge=0, le=10, description="How hard it was to imagine, 0 (easy) to 10 (very hard)")
    pain: int = Field(ge=0, le=10, description="Pain while imagining, 0 (none) to 10 (worst imaginable)")


class ImageryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    exercise_id: str
    done_at: datetime
    seconds: int
    effort: int
    pain: int


class MovementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    movement_id: str = Field(max_length=64)
    pain_before: int = Field(ge=0, le=10)
    fear_before: int = Field(ge=0, le=10)
    pain_after: int = Field(ge=0, le=10)
    fear_after: int = Field(ge=0, le=10)


class MovementBefore(BaseModel):
    """The two ratings a patient gives before doing a movement (carried to the after step, stored with it)."""

    pain_before: int = Field(ge=0, le=10)
    fear_before: int = Field(ge=0, le=10)


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    movement_id: str
    done_at: datetime
    pain_before: int
    pain_after: int
    fear_before: int
    fear_after: int


class StageMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: int = Field(ge=1, le=3)
    note: str = Field(
        min_length=3, max_length=2000, description="Why the patient is moved (kept in the record)"
    )


class StageChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    stage: int
    changed_at: datetime
    changed_by_id: uuid.UUID | None
    note: str
    reasons: list[str]


class NormSourceRead(BaseModel):
    key: str
    label: str
    source: str
    confirmed: bool


class StatusRead(BaseModel):
    stage: StageRead
    level: LevelDecisionRead
    latest: BlockRead | None
    blocks_done: int
    norms: list[NormSourceRead]


class NormReferenceRead(BaseModel):
    kind: Literal["published", "local"] = Field(
        description="published: figures measured with photographs; local: the clinic's norms for its drawn pictures"
    )
    level: int | None
    n: int | None = Field(description="Pain-free people in the clinic's norm at this level")
    accuracy_at_least: float
    rt_at_most_ms: float
    note: str


class NormParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["clinician", "volunteer"] = Field(
        description="clinician: the signed-in clinician takes part; volunteer: a person without an account"
    )
    age_band: str = Field(max_length=8, description="18-29, 30-39, 40-49, 50-59, 60-69 or 70+")
    pain_free: bool = Field(description="No back pain now and none in the past three months")


class NormParticipantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    age_band: str
    pain_free: bool
    recorded_at: datetime


class NormBlockFinished(BaseModel):
    block: BlockRead


class LocalNormRead(BaseModel):
    level: int
    n: int = Field(description="Pain-free people, each counted once (their first norm block at this level)")
    accuracy_mean: float | None
    accuracy_sd: float | None
    rt_mean_ms: float | None
    rt_sd_ms: float | None
    compared_with: NormReferenceRead = Field(
        description="What a patient's block at this level is compared with"
    )


class NormsOverviewRead(BaseModel):
    min_participants: int
    published: NormReferenceRead
    levels: list[LocalNormRead]
