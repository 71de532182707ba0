"""GMI content and settings, read from the data files beside this module and checked when loaded.

``norms.yaml`` (published norms with their sources and whether each was confirmed), ``levels.yaml`` (the
difficulty levels of left/right judgement and the rules between them), ``stages.yaml`` (the three stages and
when to move on), ``imagery.yaml`` (guided imagined movements) and ``movements.yaml`` (the graded movement
ladder). Pure code: no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, PrivateAttr, StrictBool, field_validator, model_validator

from painrewire.content import ContentModel, Id, Text, load_yaml, repeated
from painrewire.programs.gmi import stimuli

HERE = Path(__file__).parent

Fraction = Annotated[float, Field(ge=0, le=1)]


# --- norms ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormSource:
    """One norm or piece of evidence as shown to a clinician: what it says, where from, whether confirmed."""

    key: str
    label: str
    source: str
    confirmed: bool
    #: "photographs" when the figure was measured with photographs of a real model, not drawn figures.
    pictures: str | None = None

    @property
    def from_photographs(self) -> bool:
        return self.pictures == "photographs"


@dataclass(frozen=True)
class Group:
    name: str
    accuracy: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class Norms:
    accuracy_target: float
    rt_mean_ms: float
    rt_sd_ms: float
    left_right_accuracy_gap: float
    left_right_rt_gap_ms: float
    left_right_min_answers: int
    anticipation_ms: float
    groups: tuple[Group, ...]
    sources: tuple[NormSource, ...]
    #: Pain-free people (one norm block each) a level needs before its local norms are used.
    local_min_participants: int = 20

    @property
    def rt_upper_ms(self) -> float:
        """The slow end of the normal range for backs: mean plus one SD (1.6 s + 0.5 s; unconfirmed)."""
        return self.rt_mean_ms + self.rt_sd_ms

    @property
    def rt_lower_ms(self) -> float:
        return self.rt_mean_ms - self.rt_sd_ms

    def source(self, key: str) -> NormSource:
        return next(s for s in self.sources if s.key == key)


class NormEntry(ContentModel):
    """A norm or piece of evidence: what it says, where from, whether confirmed."""

    label: Text
    source: Text
    confirmed: StrictBool
    pictures: Literal["photographs"] | None = None


class OtherNorm(NormEntry):
    """A norm shown for comparison only: its figures are not used."""

    model_config = ConfigDict(extra="allow")


class AccuracyTarget(NormEntry):
    value: float = Field(ge=0.5, le=1.0)


class Speed(NormEntry):
    mean_ms: float = Field(ge=200, le=10000)
    sd_ms: float = Field(ge=0, le=5000)


class LeftRightFlag(NormEntry):
    accuracy_gap: float = Field(ge=0.01, le=1.0)
    rt_gap_ms: float = Field(ge=1, le=10000)
    min_answers_per_side: int = Field(ge=1, le=100)


class Anticipation(NormEntry):
    value: float = Field(ge=0, le=1000)


class GroupEntry(ContentModel):
    name: str
    accuracy: float
    ci: tuple[float, float]


class Groups(NormEntry):
    values: list[GroupEntry]


class LocalNorms(NormEntry):
    min_participants: int = Field(ge=2, le=1000)


class NormsFile(ContentModel):
    """``norms.yaml``: the norms the trainer uses, and others shown to the clinician, in the file's order."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, OtherNorm] = Field(init=False)

    accuracy_target: AccuracyTarget
    speed_back: Speed
    left_right_flag: LeftRightFlag
    anticipation_ms: Anticipation
    groups: Groups
    local_norms: LocalNorms
    _order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data: Any, handler: Any) -> NormsFile:
        checked: NormsFile = handler(data)
        checked._order = [str(k) for k in data] if isinstance(data, dict) else []
        return checked

    def entries(self) -> list[tuple[str, NormEntry]]:
        every = {name: getattr(self, name) for name in type(self).model_fields} | dict(self.model_extra or {})
        return [(key, every[key]) for key in self._order if key in every]


@lru_cache(maxsize=1)
def norms() -> Norms:
    found = load_yaml(HERE / "norms.yaml", NormsFile)
    speed, flag = found.speed_back, found.left_right_flag
    return Norms(
        accuracy_target=found.accuracy_target.value,
        rt_mean_ms=speed.mean_ms,
        rt_sd_ms=speed.sd_ms,
        left_right_accuracy_gap=flag.accuracy_gap,
        left_right_rt_gap_ms=flag.rt_gap_ms,
        left_right_min_answers=flag.min_answers_per_side,
        anticipation_ms=found.anticipation_ms.value,
        groups=tuple(Group(g.name, g.accuracy, g.ci) for g in found.groups.values),
        sources=tuple(
            NormSource(key, entry.label, entry.source, entry.confirmed, entry.pictures)
            for key, entry in found.entries()
        ),
        local_min_participants=found.local_norms.min_participants,
    )


# --- levels --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    level: int
    name: str
    description: str
    views: tuple[str, ...]
    angles: tuple[str, ...]
    timeout_ms: int


@dataclass(frozen=True)
class LevelRules:
    up_blocks: int
    up_accuracy: float
    up_rt_ms: float
    down_accuracy: float
    down_timeouts: float


@dataclass(frozen=True)
class Trainer:
    """How blocks are built: trials per block, practice trials, and the levels with their rules."""

    trials: int
    practice_trials: int
    allowed_trials: tuple[int, ...]
    levels: tuple[Level, ...]
    rules: LevelRules

    def level(self, number: int) -> Level:
        for level in self.levels:
            if level.level == number:
                return level
        raise KeyError(number)

    @property
    def top(self) -> int:
        return self.levels[-1].level


class LevelEntry(ContentModel):
    level: int
    name: Text
    description: Text
    views: tuple[str, ...] = Field(min_length=1)
    angles: tuple[str, ...] = Field(min_length=1)
    timeout_ms: int = Field(ge=1000, le=20000)

    @field_validator("views")
    @classmethod
    def _known_views(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(v not in stimuli.VIEWS for v in value):
            raise ValueError(f"views must be from {', '.join(stimuli.VIEWS)}, got {list(value)}")
        return value

    @field_validator("angles")
    @classmethod
    def _known_angles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(a not in stimuli.ANGLE_CLASSES for a in value):
            raise ValueError(f"angles must be from {', '.join(stimuli.ANGLE_CLASSES)}, got {list(value)}")
        return value


class MoveUp(ContentModel):
    blocks: int = Field(ge=1, le=10)
    accuracy_at_least: Fraction
    median_rt_at_most_ms: float = Field(ge=100, le=20000)


class MoveDown(ContentModel):
    accuracy_below: Fraction
    timeouts_at_least: Fraction


class LevelRulesEntry(ContentModel):
    move_up: MoveUp
    move_down: MoveDown


class LevelsFile(ContentModel):
    """``levels.yaml``: block sizes, the levels numbered 1, 2, 3 ... in order, and the rules between them."""

    trials: int = Field(ge=4, le=200)
    practice_trials: int = Field(ge=0, le=20)
    allowed_trials: tuple[int, ...]
    levels: list[LevelEntry] = Field(min_length=1)
    rules: LevelRulesEntry

    @field_validator("levels")
    @classmethod
    def _numbered_in_order(cls, value: list[LevelEntry]) -> list[LevelEntry]:
        for i, entry in enumerate(value, start=1):
            if entry.level != i:
                raise ValueError(
                    f"levels must be numbered 1, 2, 3 ... in order; entry {i} is {entry.level!r}"
                )
        return value

    @model_validator(mode="after")
    def _multiples_of_four(self) -> LevelsFile:
        allowed = self.allowed_trials
        if self.trials % 4 or any(n % 4 or n < 4 for n in allowed) or self.trials not in allowed:
            raise ValueError("trials and allowed_trials must be multiples of 4, trials among the allowed")
        return self


@lru_cache(maxsize=1)
def trainer() -> Trainer:
    found = load_yaml(HERE / "levels.yaml", LevelsFile)
    up, down = found.rules.move_up, found.rules.move_down
    return Trainer(
        trials=found.trials,
        practice_trials=found.practice_trials,
        allowed_trials=found.allowed_trials,
        levels=tuple(
            Level(e.level, e.name, e.description, e.views, e.angles, e.timeout_ms) for e in found.levels
        ),
        rules=LevelRules(
            up_blocks=up.blocks,
            up_accuracy=up.accuracy_at_least,
            up_rt_ms=up.median_rt_at_most_ms,
            down_accuracy=down.accuracy_below,
            down_timeouts=down.timeouts_at_least,
        ),
    )


# --- stages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    stage: int
    name: str
    summary: str
    href: str


@dataclass(frozen=True)
class StageOneRule:
    sessions: int
    accuracy_at_least: float
    median_rt_at_most_ms: float
    no_left_right_flag: bool
    min_days_in_stage: int


@dataclass(frozen=True)
class StageTwoRule:
    exercises_at_least: int
    days_at_least: int
    recent: int
    mean_pain_at_most: float
    min_days_in_stage: int


@dataclass(frozen=True)
class Stages:
    stages: tuple[Stage, ...]
    one: StageOneRule
    two: StageTwoRule

    def stage(self, number: int) -> Stage:
        for s in self.stages:
            if s.stage == number:
                return s
        raise KeyError(number)


class StageEntry(ContentModel):
    stage: int
    name: Text
    summary: Text
    href: Text


class StageOneEntry(ContentModel):
    sessions: int = Field(ge=1, le=20)
    accuracy_at_least: Fraction
    median_rt_at_most_ms: float = Field(ge=100, le=20000)
    no_left_right_flag: StrictBool
    min_days_in_stage: int = Field(ge=0, le=365)


class StageTwoEntry(ContentModel):
    exercises_at_least: int = Field(ge=1, le=500)
    days_at_least: int = Field(ge=1, le=365)
    recent: int = Field(ge=1, le=100)
    mean_pain_at_most: float = Field(ge=0, le=10)
    min_days_in_stage: int = Field(ge=0, le=365)


class Progression(ContentModel):
    one: StageOneEntry = Field(alias="1")
    two: StageTwoEntry = Field(alias="2")


class StagesFile(ContentModel):
    """``stages.yaml``: the stages 1, 2 and 3, and when to move from one to the next."""

    stages: list[StageEntry]
    progression: Progression

    @field_validator("stages")
    @classmethod
    def _one_two_three(cls, value: list[StageEntry]) -> list[StageEntry]:
        if [s.stage for s in value] != [1, 2, 3]:
            raise ValueError("stages must be 1, 2 and 3")
        return value


@lru_cache(maxsize=1)
def stages() -> Stages:
    found = load_yaml(HERE / "stages.yaml", StagesFile)
    one, two = found.progression.one, found.progression.two
    return Stages(
        stages=tuple(Stage(s.stage, s.name, s.summary, s.href) for s in found.stages),
        one=StageOneRule(**one.model_dump()),
        two=StageTwoRule(**two.model_dump()),
    )


# --- imagery and movement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageryStep:
    seconds: int
    text: str
    picture_id: str | None


@dataclass(frozen=True)
class ImageryExercise:
    id: str
    title: str
    summary: str
    steps: tuple[ImageryStep, ...]

    @property
    def seconds(self) -> int:
        return sum(s.seconds for s in self.steps)


class Picture(ContentModel):
    movement: str
    side: str
    view: str
    angle: str

    @model_validator(mode="after")
    def _exists(self) -> Picture:
        if self.stimulus_id not in stimuli.catalogue():
            raise ValueError(f"no picture for {self.model_dump()}")
        return self

    @property
    def stimulus_id(self) -> str:
        return stimuli.stimulus_id(self.movement, self.side, self.view, self.angle, 1)


class ImageryStepEntry(ContentModel):
    seconds: int = Field(ge=3, le=600)
    text: Text
    picture: Picture | None = None


class ExerciseEntry(ContentModel):
    id: Id
    title: Text
    summary: Text
    steps: list[ImageryStepEntry] = Field(min_length=1)


class ImageryFile(ContentModel):
    """``imagery.yaml``: the guided imagined movements, each with its own id."""

    exercises: list[ExerciseEntry] = Field(min_length=1)

    @field_validator("exercises")
    @classmethod
    def _own_ids(cls, value: list[ExerciseEntry]) -> list[ExerciseEntry]:
        twice = repeated([e.id for e in value])
        if twice:
            raise ValueError(f"each exercise needs its own id; used twice: {', '.join(twice)}")
        return value


@lru_cache(maxsize=1)
def imagery() -> dict[str, ImageryExercise]:
    found = load_yaml(HERE / "imagery.yaml", ImageryFile)
    return {
        e.id: ImageryExercise(
            e.id,
            e.title,
            e.summary,
            tuple(
                ImageryStep(s.seconds, s.text, s.picture.stimulus_id if s.picture else None) for s in e.steps
            ),
        )
        for e in found.exercises
    }


@dataclass(frozen=True)
class MovementStep:
    id: str
    title: str
    how: str


@dataclass(frozen=True)
class LadderRule:
    repeat: int
    pain_rise_at_most: int
    fear_after_at_most: int


@dataclass(frozen=True)
class Ladder:
    steps: tuple[MovementStep, ...]
    rule: LadderRule

    def step(self, movement_id: str) -> MovementStep:
        for s in self.steps:
            if s.id == movement_id:
                return s
        raise KeyError(movement_id)


class MovementEntry(ContentModel):
    id: Id
    title: Text
    how: Text


class LadderRuleEntry(ContentModel):
    repeat: int = Field(ge=1, le=20)
    pain_rise_at_most: int = Field(ge=0, le=10)
    fear_after_at_most: int = Field(ge=0, le=10)


class MovementsFile(ContentModel):
    """``movements.yaml``: the graded movement ladder, easiest first, and when to take the next step."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {"ladder": ("step",)}

    rule: LadderRuleEntry
    ladder: list[MovementEntry] = Field(min_length=1)

    @field_validator("ladder")
    @classmethod
    def _own_ids(cls, value: list[MovementEntry]) -> list[MovementEntry]:
        twice = repeated([m.id for m in value])
        if twice:
            raise ValueError(f"each movement needs its own id; used twice: {', '.join(twice)}")
        return value


@lru_cache(maxsize=1)
def ladder() -> Ladder:
    found = load_yaml(HERE / "movements.yaml", MovementsFile)
    return Ladder(
        tuple(MovementStep(m.id, m.title, m.how) for m in found.ladder),
        LadderRule(**found.rule.model_dump()),
    )
