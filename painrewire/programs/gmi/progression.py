"""When the trainer changes a patient's difficulty level, when it moves them to the next GMI stage, and which
graded movements are open to them. The thresholds live in ``levels.yaml``, ``stages.yaml`` and
``movements.yaml``; every decision comes with its reasons in plain words.

Pure code: no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from painrewire.programs.gmi.content import Ladder, StageOneRule, StageTwoRule, Trainer


@dataclass(frozen=True)
class BlockSummary:
    """What the rules need to know about one finished block."""

    day: date
    level: int
    accuracy: float | None
    left_accuracy: float | None
    right_accuracy: float | None
    left_rt_ms: float | None
    right_rt_ms: float | None
    timeout_share: float
    left_right_flag: bool


@dataclass(frozen=True)
class LevelDecision:
    level: int
    change: int  # -1, 0 or +1
    reason: str


def _both_sides(b: BlockSummary, accuracy: float, rt_ms: float) -> bool:
    return all(a is not None and a >= accuracy - 1e-9 for a in (b.left_accuracy, b.right_accuracy)) and all(
        t is not None and t <= rt_ms for t in (b.left_rt_ms, b.right_rt_ms)
    )


def next_level(blocks: Sequence[BlockSummary], trainer: Trainer) -> LevelDecision:
    """The level of the next block, from the patient's finished blocks, newest first.

    The current level is that of the newest block (level 1 before any). Down one level when the newest block
    falls below the accuracy floor or timed out too often; up one level when the newest ``up_blocks`` blocks
    at the current level all reach the accuracy and speed thresholds on both sides.
    """
    rules = trainer.rules
    if not blocks:
        return LevelDecision(1, 0, "First block: level 1.")
    current = min(max(blocks[0].level, 1), trainer.top)
    newest = blocks[0]
    if newest.level == current:
        too_low = newest.accuracy is not None and newest.accuracy < rules.down_accuracy - 1e-9
        too_slow = newest.timeout_share >= rules.down_timeouts - 1e-9
        if (too_low or too_slow) and current > 1:
            why = (
                f"accuracy {newest.accuracy * 100:.0f}% was below {rules.down_accuracy * 100:.0f}%"
                if too_low and newest.accuracy is not None
                else f"{newest.timeout_share * 100:.0f}% of pictures timed out"
            )
            return LevelDecision(current - 1, -1, f"Back to level {current - 1}: {why} in the last block.")
    run = []
    for b in blocks:
        if b.level != current:
            break
        run.append(b)
    recent = run[: rules.up_blocks]
    if (
        current < trainer.top
        and len(recent) == rules.up_blocks
        and all(_both_sides(b, rules.up_accuracy, rules.up_rt_ms) for b in recent)
    ):
        n = rules.up_blocks
        return LevelDecision(
            current + 1,
            1,
            f"Up to level {current + 1}: {n} block{'s' if n != 1 else ''} in a row with {rules.up_accuracy * 100:.0f}% "
            f"or more and a median time of {rules.up_rt_ms / 1000:.1f} s or less on both sides.",
        )
    return LevelDecision(current, 0, f"Staying at level {current}.")


# --- stages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    text: str
    met: bool


@dataclass(frozen=True)
class Readiness:
    """Whether the rule for moving on is met, criterion by criterion."""

    ready: bool
    criteria: tuple[Criterion, ...]

    @property
    def reasons(self) -> list[str]:
        return [c.text for c in self.criteria]


def sessions(blocks: Sequence[BlockSummary]) -> list[BlockSummary]:
    """The newest block of each day that has one, newest day first (a day's blocks make one session)."""
    seen: set[date] = set()
    out = []
    for b in sorted(blocks, key=lambda b: b.day, reverse=True):
        if b.day not in seen:
            seen.add(b.day)
            out.append(b)
    return out


def stage_one_ready(
    blocks_newest_first: Sequence[BlockSummary], *, in_stage_since: date, today: date, rule: StageOneRule
) -> Readiness:
    """Ready for imagined movements when the last ``rule.sessions`` sessions all meet the targets on both
    sides (and show no left/right difference), and the patient has been at stage 1 long enough."""
    latest = sessions(blocks_newest_first)[: rule.sessions]
    n = rule.sessions
    criteria = [
        Criterion(f"{len(latest)} of {n} practice days done", len(latest) >= n),
        Criterion(
            f"accuracy {rule.accuracy_at_least * 100:.0f}% or more on both sides on each of the last {n} days",
            len(latest) >= n
            and all(
                a is not None and a >= rule.accuracy_at_least - 1e-9
                for b in latest
                for a in (b.left_accuracy, b.right_accuracy)
            ),
        ),
        Criterion(
            f"median time {rule.median_rt_at_most_ms / 1000:.1f} s or less on both sides on each of the last {n} days",
            len(latest) >= n
            and all(
                t is not None and t <= rule.median_rt_at_most_ms
                for b in latest
                for t in (b.left_rt_ms, b.right_rt_ms)
            ),
        ),
    ]
    if rule.no_left_right_flag:
        criteria.append(
            Criterion(
                f"left and right about equal on each of the last {n} days",
                len(latest) >= n and not any(b.left_right_flag for b in latest),
            )
        )
    days = (today - in_stage_since).days
    criteria.append(
        Criterion(
            f"at least {rule.min_days_in_stage} days at this stage ({max(days, 0)} so far)",
            days >= rule.min_days_in_stage,
        )
    )
    return Readiness(all(c.met for c in criteria), tuple(criteria))


@dataclass(frozen=True)
class ImageryEntry:
    day: date
    pain: int
    effort: int


def stage_two_ready(
    entries_newest_first: Sequence[ImageryEntry], *, in_stage_since: date, today: date, rule: StageTwoRule
) -> Readiness:
    """Ready for graded movement after enough imagined movements on enough days, with little pain while
    imagining in the most recent ones, and long enough at stage 2 (entries since entering stage 2 only)."""
    entries = [e for e in entries_newest_first if e.day >= in_stage_since]
    days = {e.day for e in entries}
    recent = entries[: rule.recent]
    mean_pain = sum(e.pain for e in recent) / len(recent) if recent else None
    in_stage = (today - in_stage_since).days
    criteria = (
        Criterion(
            f"{len(entries)} of {rule.exercises_at_least} imagined movements done",
            len(entries) >= rule.exercises_at_least,
        ),
        Criterion(f"practised on {len(days)} of {rule.days_at_least} days", len(days) >= rule.days_at_least),
        Criterion(
            f"pain while imagining {rule.mean_pain_at_most:g}/10 or less on average over the last {rule.recent}"
            + (f" (now {mean_pain:.1f})" if mean_pain is not None else ""),
            len(recent) >= rule.recent
            and mean_pain is not None
            and mean_pain <= rule.mean_pain_at_most + 1e-9,
        ),
        Criterion(
            f"at least {rule.min_days_in_stage} days at this stage ({max(in_stage, 0)} so far)",
            in_stage >= rule.min_days_in_stage,
        ),
    )
    return Readiness(all(c.met for c in criteria), criteria)


# --- the graded movement ladder ------------------------------------------------------------------------


@dataclass(frozen=True)
class MovementEntry:
    movement_id: str
    pain_before: int
    pain_after: int
    fear_before: int
    fear_after: int


@dataclass(frozen=True)
class RungStatus:
    movement_id: str
    times: int
    steady: bool
    open: bool
    last: MovementEntry | None


def ladder_status(entries_oldest_first: Sequence[MovementEntry], ladder: Ladder) -> list[RungStatus]:
    """Each step of the ladder: how often it was done, whether it is steady, and whether it is open.

    The first step is always open; each later one opens when the one before it is steady: done
    ``rule.repeat`` times or more and, the last time, pain rose by ``rule.pain_rise_at_most`` or less and fear
    ended at ``rule.fear_after_at_most`` or less.
    """
    rule = ladder.rule
    out: list[RungStatus] = []
    previous_steady = True
    for step in ladder.steps:
        done = [e for e in entries_oldest_first if e.movement_id == step.id]
        last = done[-1] if done else None
        steady = (
            len(done) >= rule.repeat
            and last is not None
            and last.pain_after - last.pain_before <= rule.pain_rise_at_most
            and last.fear_after <= rule.fear_after_at_most
        )
        opened = previous_steady or bool(done)
        out.append(RungStatus(step.id, len(done), steady, opened, last))
        previous_steady = steady
    return out
