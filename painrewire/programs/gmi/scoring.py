"""Scores of a left/right judgement block, their comparison with the norms and with the patient's own history.

Definitions (what a clinician reads on the page):

* **Accuracy** is correct answers over scored pictures; a picture left unanswered until its time-out counts
  as not correct. Practice pictures are never scored.
* **Median reaction time** is the median, in milliseconds, of the times of the *correct* answers, each timed
  in the browser from the frame that painted the picture to the key press or touch. Answers faster than the
  anticipation limit (``norms.anticipation_ms``) are counted for accuracy but left out of the median: they
  were guesses made before the picture could be seen. With an even number of times the median is the mean of
  the middle two.
* Both are given overall, for pictures of movements to the **left** and to the **right**, for **rotation**
  and **side-bending**, and per view.
* A **left/right difference** is flagged when accuracy for one side is ``left_right_accuracy_gap`` or more
  below the other, or its median time ``left_right_rt_gap_ms`` or more slower, and each side has at least
  ``left_right_min_answers`` answers (see ``norms.yaml`` for why these values).

Pure code: no web, database or template code.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from painrewire.programs.gmi.content import Norms


@dataclass(frozen=True)
class TrialOutcome:
    """One answered (or timed-out) picture."""

    side: str
    movement: str
    view: str
    answer: str | None
    rt_ms: float | None
    timed_out: bool
    is_practice: bool = False

    @property
    def correct(self) -> bool:
        return not self.timed_out and self.answer == self.side


@dataclass(frozen=True)
class GroupScore:
    """Accuracy and median correct reaction time over one group of pictures."""

    trials: int
    correct: int
    timed_out: int
    too_fast: int
    accuracy: float | None
    median_rt_ms: float | None
    timed_answers: int

    def as_json(self) -> dict[str, Any]:
        return {
            "trials": self.trials,
            "correct": self.correct,
            "timed_out": self.timed_out,
            "too_fast": self.too_fast,
            "accuracy": self.accuracy,
            "median_rt_ms": self.median_rt_ms,
            "timed_answers": self.timed_answers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupScore:
        return cls(
            trials=int(data["trials"]),
            correct=int(data["correct"]),
            timed_out=int(data["timed_out"]),
            too_fast=int(data.get("too_fast", 0)),
            accuracy=data.get("accuracy"),
            median_rt_ms=data.get("median_rt_ms"),
            timed_answers=int(data.get("timed_answers", 0)),
        )


def group_score(trials: Sequence[TrialOutcome], *, anticipation_ms: float) -> GroupScore:
    """Score one group of trials (practice trials must already be left out)."""
    correct = [t for t in trials if t.correct]
    too_fast = [t for t in trials if t.rt_ms is not None and not t.timed_out and t.rt_ms < anticipation_ms]
    times = [t.rt_ms for t in correct if t.rt_ms is not None and t.rt_ms >= anticipation_ms]
    return GroupScore(
        trials=len(trials),
        correct=len(correct),
        timed_out=sum(1 for t in trials if t.timed_out),
        too_fast=len(too_fast),
        accuracy=len(correct) / len(trials) if trials else None,
        median_rt_ms=float(statistics.median(times)) if times else None,
        timed_answers=len(times),
    )


@dataclass(frozen=True)
class SideDifference:
    """Left minus right: positive accuracy gap = left better; positive time gap = left slower."""

    accuracy_gap: float | None
    rt_gap_ms: float | None
    flagged: bool
    reasons: tuple[str, ...]
    weaker_side: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "accuracy_gap": self.accuracy_gap,
            "rt_gap_ms": self.rt_gap_ms,
            "flagged": self.flagged,
            "reasons": list(self.reasons),
            "weaker_side": self.weaker_side,
        }


def side_difference(left: GroupScore, right: GroupScore, norms: Norms) -> SideDifference:
    """Compare the two sides and flag a difference larger than the clinic's thresholds (module docstring)."""
    acc_gap = (
        left.accuracy - right.accuracy if left.accuracy is not None and right.accuracy is not None else None
    )
    rt_gap = (
        left.median_rt_ms - right.median_rt_ms
        if left.median_rt_ms is not None and right.median_rt_ms is not None
        else None
    )
    enough = min(left.trials - left.timed_out, right.trials - right.timed_out) >= norms.left_right_min_answers
    reasons: list[str] = []
    weaker: str | None = None
    if enough and acc_gap is not None and abs(acc_gap) >= norms.left_right_accuracy_gap - 1e-9:
        weaker = "right" if acc_gap > 0 else "left"
        reasons.append(
            f"accuracy for movements to the {weaker} is {abs(acc_gap) * 100:.0f} percentage points lower"
        )
    if enough and rt_gap is not None and abs(rt_gap) >= norms.left_right_rt_gap_ms - 1e-9:
        slower = "left" if rt_gap > 0 else "right"
        weaker = weaker or slower
        reasons.append(f"answers for movements to the {slower} are {abs(rt_gap):.0f} ms slower")
    return SideDifference(acc_gap, rt_gap, bool(reasons), tuple(reasons), weaker)


@dataclass(frozen=True)
class BlockScores:
    overall: GroupScore
    left: GroupScore
    right: GroupScore
    rotation: GroupScore
    side_bend: GroupScore
    by_view: dict[str, GroupScore]
    by_movement_side: dict[str, GroupScore]
    difference: SideDifference
    practice_trials: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def left_right_flag(self) -> bool:
        return self.difference.flagged

    def side(self, name: str) -> GroupScore:
        return self.left if name == "left" else self.right

    def as_json(self) -> dict[str, Any]:
        """The stored form (``LateralityBlock.scores``); the plan rules read ``left_right_flag`` from it."""
        return {
            "overall": self.overall.as_json(),
            "left": self.left.as_json(),
            "right": self.right.as_json(),
            "rotation": self.rotation.as_json(),
            "side_bend": self.side_bend.as_json(),
            "by_view": {k: v.as_json() for k, v in self.by_view.items()},
            "by_movement_side": {k: v.as_json() for k, v in self.by_movement_side.items()},
            "difference": self.difference.as_json(),
            "left_right_flag": self.difference.flagged,
            "practice_trials": self.practice_trials,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockScores:
        diff = data["difference"]
        return cls(
            overall=GroupScore.from_json(data["overall"]),
            left=GroupScore.from_json(data["left"]),
            right=GroupScore.from_json(data["right"]),
            rotation=GroupScore.from_json(data["rotation"]),
            side_bend=GroupScore.from_json(data["side_bend"]),
            by_view={k: GroupScore.from_json(v) for k, v in data.get("by_view", {}).items()},
            by_movement_side={
                k: GroupScore.from_json(v) for k, v in data.get("by_movement_side", {}).items()
            },
            difference=SideDifference(
                diff.get("accuracy_gap"),
                diff.get("rt_gap_ms"),
                bool(diff.get("flagged")),
                tuple(diff.get("reasons", ())),
                diff.get("weaker_side"),
            ),
            practice_trials=int(data.get("practice_trials", 0)),
        )


def score_block(trials: Sequence[TrialOutcome], norms: Norms) -> BlockScores:
    """Score a block: every group of the module docstring, and the left/right difference."""
    scored = [t for t in trials if not t.is_practice]
    a = norms.anticipation_ms

    def of(items: Sequence[TrialOutcome]) -> GroupScore:
        return group_score(items, anticipation_ms=a)

    left = of([t for t in scored if t.side == "left"])
    right = of([t for t in scored if t.side == "right"])
    views = sorted({t.view for t in scored})
    return BlockScores(
        overall=of(scored),
        left=left,
        right=right,
        rotation=of([t for t in scored if t.movement == "rotation"]),
        side_bend=of([t for t in scored if t.movement == "side_bend"]),
        by_view={v: of([t for t in scored if t.view == v]) for v in views},
        by_movement_side={
            f"{m}_{s}": of([t for t in scored if t.movement == m and t.side == s])
            for m in ("rotation", "side_bend")
            for s in ("left", "right")
        },
        difference=side_difference(left, right, norms),
        practice_trials=len(trials) - len(scored),
    )


# --- against the norms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalNorm:
    """The clinic's own norm for one level: pain-free people's first norm block there, one per person.

    ``n`` counts people; the means and sample SDs are of their overall accuracy (fraction) and of their
    median time of correct answers (ms). SDs need two people or more.
    """

    level: int
    n: int
    accuracy_mean: float | None
    accuracy_sd: float | None
    rt_mean_ms: float | None
    rt_sd_ms: float | None


def local_norm(level: int, people: Sequence[tuple[float, float]]) -> LocalNorm:
    """Mean and sample SD of ``(accuracy, median_rt_ms)`` over people (each person once)."""
    accuracies = [a for a, _ in people]
    times = [t for _, t in people]
    n = len(people)
    return LocalNorm(
        level=level,
        n=n,
        accuracy_mean=statistics.fmean(accuracies) if n else None,
        accuracy_sd=statistics.stdev(accuracies) if n >= 2 else None,
        rt_mean_ms=statistics.fmean(times) if n else None,
        rt_sd_ms=statistics.stdev(times) if n >= 2 else None,
    )


@dataclass(frozen=True)
class NormReference:
    """What a block's accuracy and speed are compared with: the published figures (measured with photographs)
    or the clinic's own norms for its drawn pictures at the block's level."""

    kind: str  # "published" or "local"
    accuracy_at_least: float
    rt_at_most_ms: float
    accuracy_norm: str
    rt_norm: str
    accuracy_confirmed: bool
    rt_confirmed: bool
    note: str
    #: The usual range of median times (ms), for charts: mean - 1 SD to mean + 1 SD.
    rt_range_ms: tuple[float, float] = (0.0, 0.0)
    level: int | None = None
    n: int | None = None

    @property
    def rt_typical_ms(self) -> float:
        """The middle of the usual range: the mean time."""
        return (self.rt_range_ms[0] + self.rt_range_ms[1]) / 2

    @property
    def local(self) -> bool:
        return self.kind == "local"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": self.level,
            "n": self.n,
            "accuracy_at_least": self.accuracy_at_least,
            "rt_at_most_ms": self.rt_at_most_ms,
            "note": self.note,
        }


def published_reference(norms: Norms, *, local: LocalNorm | None = None) -> NormReference:
    """The published figures: NOI's 80% accuracy target, and its speed for backs (mean + 1 SD at most)."""
    have = (
        f" The clinic has norm blocks from {local.n} pain-free people at level {local.level}."
        if local and local.n
        else ""
    )
    return NormReference(
        kind="published",
        accuracy_at_least=norms.accuracy_target,
        rt_at_most_ms=norms.rt_upper_ms,
        accuracy_norm=f"{norms.accuracy_target * 100:.0f}% or more",
        rt_norm=(
            f"up to {norms.rt_upper_ms / 1000:.1f} s "
            f"(about {norms.rt_mean_ms / 1000:.1f} s ± {norms.rt_sd_ms / 1000:.1f} s)"
        ),
        accuracy_confirmed=norms.source("accuracy_target").confirmed,
        rt_confirmed=norms.source("speed_back").confirmed,
        note=(
            "Published figures, measured with photographs of a real model, not the drawn figures used here."
            f"{have} Its own norms are used from {norms.local_min_participants} people."
        ),
        rt_range_ms=(norms.rt_lower_ms, norms.rt_upper_ms),
        level=local.level if local else None,
        n=local.n if local else None,
    )


def choose_reference(norms: Norms, local: LocalNorm | None) -> NormReference:
    """The clinic's norms for the level once ``norms.local_min_participants`` people have them, else the
    published figures. Local range: accuracy at or above mean - 1 SD, median time at or below mean + 1 SD."""
    if (
        local is None
        or local.n < norms.local_min_participants
        or local.accuracy_mean is None
        or local.accuracy_sd is None
        or local.rt_mean_ms is None
        or local.rt_sd_ms is None
    ):
        return published_reference(norms, local=local)
    lowest = max(local.accuracy_mean - local.accuracy_sd, 0.0)
    slowest = local.rt_mean_ms + local.rt_sd_ms
    return NormReference(
        kind="local",
        accuracy_at_least=lowest,
        rt_at_most_ms=slowest,
        accuracy_norm=(
            f"{lowest * 100:.0f}% or more (pain-free people here: "
            f"{local.accuracy_mean * 100:.0f}% ± {local.accuracy_sd * 100:.0f}%)"
        ),
        rt_norm=(
            f"up to {slowest / 1000:.1f} s (pain-free people here: "
            f"{local.rt_mean_ms / 1000:.1f} s ± {local.rt_sd_ms / 1000:.1f} s)"
        ),
        accuracy_confirmed=True,
        rt_confirmed=True,
        note=(
            f"The clinic's own norms for these drawn pictures at level {local.level}, "
            f"from {local.n} pain-free people."
        ),
        rt_range_ms=(max(local.rt_mean_ms - local.rt_sd_ms, 0.0), slowest),
        level=local.level,
        n=local.n,
    )


@dataclass(frozen=True)
class NormCheck:
    """One score set against its norm, in words."""

    what: str
    value: float | None
    norm: str
    status: str  # "meets", "below", "slower", "no data"
    confirmed: bool

    @property
    def meets(self) -> bool:
        return self.status == "meets"


def compare_with_norms(
    scores: BlockScores, norms: Norms, reference: NormReference | None = None
) -> list[NormCheck]:
    """Accuracy and median time, overall and of each side, against ``reference`` (the published figures when
    none is given: the 80% target and the normal range of speed)."""
    ref = reference or published_reference(norms)
    checks: list[NormCheck] = []
    for label, group in (("overall", scores.overall), ("left", scores.left), ("right", scores.right)):
        name = "Overall" if label == "overall" else f"Movements to the {label}"
        acc = group.accuracy
        checks.append(
            NormCheck(
                f"{name}: accuracy",
                acc,
                ref.accuracy_norm,
                "no data" if acc is None else ("meets" if acc >= ref.accuracy_at_least - 1e-9 else "below"),
                ref.accuracy_confirmed,
            )
        )
        rt = group.median_rt_ms
        checks.append(
            NormCheck(
                f"{name}: median time",
                rt,
                ref.rt_norm,
                "no data" if rt is None else ("meets" if rt <= ref.rt_at_most_ms + 1e-9 else "slower"),
                ref.rt_confirmed,
            )
        )
    return checks


# --- against the patient's own history -----------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    """A finished block reduced to what a trend needs."""

    when: datetime
    level: int
    accuracy: float | None
    median_rt_ms: float | None
    left_accuracy: float | None
    right_accuracy: float | None
    left_rt_ms: float | None
    right_rt_ms: float | None
    left_right_flag: bool

    @classmethod
    def of(cls, when: datetime, level: int, scores: BlockScores) -> HistoryPoint:
        return cls(
            when,
            level,
            scores.overall.accuracy,
            scores.overall.median_rt_ms,
            scores.left.accuracy,
            scores.right.accuracy,
            scores.left.median_rt_ms,
            scores.right.median_rt_ms,
            scores.left_right_flag,
        )


def _change(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else now - then


@dataclass(frozen=True)
class HistoryComparison:
    """The current block against the first and the previous one (accuracy in fractions, times in ms)."""

    earlier_blocks: int
    first: HistoryPoint | None
    previous: HistoryPoint | None
    accuracy_since_first: float | None
    rt_since_first_ms: float | None
    accuracy_since_previous: float | None
    rt_since_previous_ms: float | None
    best_accuracy: float | None
    fastest_rt_ms: float | None

    def sentences(self) -> list[str]:
        """Plain words for the patient and clinician ("faster" is good; time changes are rounded)."""
        if self.first is None:
            return ["This is your first block: it becomes the starting point your progress is measured from."]
        out = []
        if self.accuracy_since_first is not None:
            pts = self.accuracy_since_first * 100
            word = "up" if pts > 0.5 else "down" if pts < -0.5 else "about the same as"
            out.append(
                f"Accuracy is {word} {abs(pts):.0f} percentage points since your first block."
                if word != "about the same as"
                else "Accuracy is about the same as in your first block."
            )
        if self.rt_since_first_ms is not None:
            ms = self.rt_since_first_ms
            if abs(ms) < 50:
                out.append("Your speed is about the same as in your first block.")
            else:
                out.append(
                    f"You answer {abs(ms):.0f} ms {'faster' if ms < 0 else 'slower'} than in your first block."
                )
        return out


def compare_with_history(current: HistoryPoint, earlier: Sequence[HistoryPoint]) -> HistoryComparison:
    """Compare ``current`` with the patient's earlier finished blocks (any order)."""
    ordered = sorted(earlier, key=lambda p: p.when)
    first = ordered[0] if ordered else None
    previous = ordered[-1] if ordered else None
    accuracies = [p.accuracy for p in [*ordered, current] if p.accuracy is not None]
    times = [p.median_rt_ms for p in [*ordered, current] if p.median_rt_ms is not None]
    return HistoryComparison(
        earlier_blocks=len(ordered),
        first=first,
        previous=previous,
        accuracy_since_first=_change(current.accuracy, first.accuracy) if first else None,
        rt_since_first_ms=_change(current.median_rt_ms, first.median_rt_ms) if first else None,
        accuracy_since_previous=_change(current.accuracy, previous.accuracy) if previous else None,
        rt_since_previous_ms=_change(current.median_rt_ms, previous.median_rt_ms) if previous else None,
        best_accuracy=max(accuracies) if accuracies else None,
        fastest_rt_ms=min(times) if times else None,
    )
