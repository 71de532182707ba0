"""GMI content and settings, read from the data files beside this module and checked when loaded.

``norms.yaml`` (published norms with their sources and whether each was confirmed), ``levels.yaml`` (the
difficulty levels of left/right judgement and the rules between them), ``stages.yaml`` (the three stages and
when to move on), ``imagery.yaml`` (guided imagined movements) and ``movements.yaml`` (the graded movement
ladder). Pure code: no web, database or template code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from painrewire.programs.gmi import stimuli

HERE = Path(__file__).parent
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class ContentError(ValueError):
    """A GMI data file that cannot be used, naming the file and what is wrong."""


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((HERE / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ContentError(f"{name}: expected a mapping at the top")
    return data


def _number(name: str, data: dict[str, Any], key: str, lo: float, hi: float) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ContentError(f"{name}: {key} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _text(name: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{name}: {key} must be some text, got {value!r}")
    return " ".join(value.split())


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


@lru_cache(maxsize=1)
def norms() -> Norms:
    name = "norms.yaml"
    data = _load(name)
    sources = []
    for key, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("confirmed"), bool):
            raise ContentError(f"{name}: {key} needs a label, a source and confirmed: true or false")
        pictures = entry.get("pictures")
        if pictures not in (None, "photographs"):
            raise ContentError(f"{name}: {key}: pictures must be 'photographs' or left out, got {pictures!r}")
        sources.append(
            NormSource(
                key, _text(name, entry, "label"), _text(name, entry, "source"), entry["confirmed"], pictures
            )
        )
    try:
        speed, flag = data["speed_back"], data["left_right_flag"]
        groups = tuple(
            Group(str(g["name"]), float(g["accuracy"]), (float(g["ci"][0]), float(g["ci"][1])))
            for g in data["groups"]["values"]
        )
        return Norms(
            accuracy_target=_number(name, data["accuracy_target"], "value", 0.5, 1.0),
            rt_mean_ms=_number(name, speed, "mean_ms", 200, 10000),
            rt_sd_ms=_number(name, speed, "sd_ms", 0, 5000),
            left_right_accuracy_gap=_number(name, flag, "accuracy_gap", 0.01, 1.0),
            left_right_rt_gap_ms=_number(name, flag, "rt_gap_ms", 1, 10000),
            left_right_min_answers=int(_number(name, flag, "min_answers_per_side", 1, 100)),
            anticipation_ms=_number(name, data["anticipation_ms"], "value", 0, 1000),
            groups=groups,
            sources=tuple(sources),
            local_min_participants=int(_number(name, data["local_norms"], "min_participants", 2, 1000)),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ContentError(f"{name}: missing or malformed entry {exc}") from exc


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


@lru_cache(maxsize=1)
def trainer() -> Trainer:
    name = "levels.yaml"
    data = _load(name)
    levels = []
    for i, entry in enumerate(data.get("levels") or [], start=1):
        if entry.get("level") != i:
            raise ContentError(
                f"{name}: levels must be numbered 1, 2, 3 ... in order; entry {i} is {entry.get('level')!r}"
            )
        views = tuple(entry.get("views") or ())
        angles = tuple(entry.get("angles") or ())
        if not views or any(v not in stimuli.VIEWS for v in views):
            raise ContentError(
                f"{name}: level {i} views must be from {', '.join(stimuli.VIEWS)}, got {views}"
            )
        if not angles or any(a not in stimuli.ANGLE_CLASSES for a in angles):
            raise ContentError(
                f"{name}: level {i} angles must be from {', '.join(stimuli.ANGLE_CLASSES)}, got {angles}"
            )
        levels.append(
            Level(
                i,
                _text(name, entry, "name"),
                _text(name, entry, "description"),
                views,
                angles,
                int(_number(name, entry, "timeout_ms", 1000, 20000)),
            )
        )
    if not levels:
        raise ContentError(f"{name}: no levels")
    rules = data.get("rules") or {}
    up, down = rules.get("move_up") or {}, rules.get("move_down") or {}
    allowed = tuple(int(n) for n in data.get("allowed_trials") or ())
    trials = int(_number(name, data, "trials", 4, 200))
    if trials % 4 or any(n % 4 or n < 4 for n in allowed) or trials not in allowed:
        raise ContentError(
            f"{name}: trials and allowed_trials must be multiples of 4, trials among the allowed"
        )
    return Trainer(
        trials=trials,
        practice_trials=int(_number(name, data, "practice_trials", 0, 20)),
        allowed_trials=allowed,
        levels=tuple(levels),
        rules=LevelRules(
            up_blocks=int(_number(name, up, "blocks", 1, 10)),
            up_accuracy=_number(name, up, "accuracy_at_least", 0, 1),
            up_rt_ms=_number(name, up, "median_rt_at_most_ms", 100, 20000),
            down_accuracy=_number(name, down, "accuracy_below", 0, 1),
            down_timeouts=_number(name, down, "timeouts_at_least", 0, 1),
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


@lru_cache(maxsize=1)
def stages() -> Stages:
    name = "stages.yaml"
    data = _load(name)
    found = tuple(
        Stage(int(s["stage"]), _text(name, s, "name"), _text(name, s, "summary"), _text(name, s, "href"))
        for s in data.get("stages") or []
    )
    if [s.stage for s in found] != [1, 2, 3]:
        raise ContentError(f"{name}: stages must be 1, 2 and 3")
    rules = data.get("progression") or {}
    one, two = rules.get("1") or {}, rules.get("2") or {}
    if not isinstance(one.get("no_left_right_flag"), bool):
        raise ContentError(f"{name}: progression 1 needs no_left_right_flag: true or false")
    return Stages(
        stages=found,
        one=StageOneRule(
            sessions=int(_number(name, one, "sessions", 1, 20)),
            accuracy_at_least=_number(name, one, "accuracy_at_least", 0, 1),
            median_rt_at_most_ms=_number(name, one, "median_rt_at_most_ms", 100, 20000),
            no_left_right_flag=one["no_left_right_flag"],
            min_days_in_stage=int(_number(name, one, "min_days_in_stage", 0, 365)),
        ),
        two=StageTwoRule(
            exercises_at_least=int(_number(name, two, "exercises_at_least", 1, 500)),
            days_at_least=int(_number(name, two, "days_at_least", 1, 365)),
            recent=int(_number(name, two, "recent", 1, 100)),
            mean_pain_at_most=_number(name, two, "mean_pain_at_most", 0, 10),
            min_days_in_stage=int(_number(name, two, "min_days_in_stage", 0, 365)),
        ),
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


@lru_cache(maxsize=1)
def imagery() -> dict[str, ImageryExercise]:
    name = "imagery.yaml"
    found: dict[str, ImageryExercise] = {}
    for entry in _load(name).get("exercises") or []:
        ident = entry.get("id")
        if not isinstance(ident, str) or not _ID.match(ident) or ident in found:
            raise ContentError(f"{name}: exercise id {ident!r} must be unique lower_snake_case")
        steps = []
        for step in entry.get("steps") or []:
            picture = step.get("picture")
            picture_id = None
            if picture is not None:
                picture_id = stimuli.stimulus_id(
                    picture["movement"], picture["side"], picture["view"], picture["angle"], 1
                )
                if picture_id not in stimuli.catalogue():
                    raise ContentError(f"{name}: {ident}: no picture for {picture}")
            steps.append(
                ImageryStep(
                    int(_number(name, step, "seconds", 3, 600)), _text(name, step, "text"), picture_id
                )
            )
        if not steps:
            raise ContentError(f"{name}: {ident} has no steps")
        found[ident] = ImageryExercise(
            ident, _text(name, entry, "title"), _text(name, entry, "summary"), tuple(steps)
        )
    if not found:
        raise ContentError(f"{name}: no exercises")
    return found


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


@lru_cache(maxsize=1)
def ladder() -> Ladder:
    name = "movements.yaml"
    data = _load(name)
    steps: list[MovementStep] = []
    for entry in data.get("ladder") or []:
        ident = entry.get("id")
        if not isinstance(ident, str) or not _ID.match(ident) or any(s.id == ident for s in steps):
            raise ContentError(f"{name}: movement id {ident!r} must be unique lower_snake_case")
        steps.append(MovementStep(ident, _text(name, entry, "title"), _text(name, entry, "how")))
    if not steps:
        raise ContentError(f"{name}: the ladder has no steps")
    rule = data.get("rule") or {}
    return Ladder(
        tuple(steps),
        LadderRule(
            repeat=int(_number(name, rule, "repeat", 1, 20)),
            pain_rise_at_most=int(_number(name, rule, "pain_rise_at_most", 0, 10)),
            fear_after_at_most=int(_number(name, rule, "fear_after_at_most", 0, 10)),
        ),
    )
