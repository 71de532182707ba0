"""Adaptive difficulty, stage progression and the graded movement ladder: each rule fires when it should
and not a step before."""

from __future__ import annotations

from datetime import date, timedelta

from painrewire.programs.gmi import content, progression
from painrewire.programs.gmi.progression import BlockSummary, ImageryEntry, MovementEntry

TODAY = date(2026, 3, 20)


def _block(
    day: date,
    *,
    level: int = 1,
    acc: float = 0.9,
    left_acc: float | None = None,
    right_acc: float | None = None,
    rt: float = 1400,
    right_rt: float | None = None,
    timeouts: float = 0.0,
    flag: bool = False,
) -> BlockSummary:
    return BlockSummary(
        day=day,
        level=level,
        accuracy=acc,
        left_accuracy=acc if left_acc is None else left_acc,
        right_accuracy=acc if right_acc is None else right_acc,
        left_rt_ms=rt,
        right_rt_ms=rt if right_rt is None else right_rt,
        timeout_share=timeouts,
        left_right_flag=flag,
    )


class TestNextLevel:
    def test_first_block_is_level_one(self) -> None:
        assert progression.next_level([], content.trainer()).level == 1

    def test_two_good_blocks_move_up_one_level_with_a_harder_level(self) -> None:
        trainer = content.trainer()
        blocks = [_block(TODAY), _block(TODAY - timedelta(days=1))]
        decision = progression.next_level(blocks, trainer)
        assert (decision.level, decision.change) == (2, 1)
        assert "Up to level 2" in decision.reason
        one, two = trainer.level(1), trainer.level(2)
        # harder: more views and smaller angles; later levels also shorten the time-out
        assert set(two.views) > set(one.views) and "small" in two.angles and "small" not in one.angles
        timeouts = [lv.timeout_ms for lv in trainer.levels]
        assert timeouts == sorted(timeouts, reverse=True) and timeouts[-1] < timeouts[0]
        assert (
            "subtle" in trainer.level(trainer.top).angles and "extreme" in trainer.level(trainer.top).angles
        )

    def test_one_good_block_or_one_weak_side_is_not_enough(self) -> None:
        trainer = content.trainer()
        assert progression.next_level([_block(TODAY)], trainer).change == 0
        weak_right = [_block(TODAY, right_acc=0.7), _block(TODAY)]
        assert progression.next_level(weak_right, trainer).level == 1
        slow = [_block(TODAY, right_rt=2500), _block(TODAY)]
        assert progression.next_level(slow, trainer).level == 1

    def test_only_blocks_at_the_current_level_count(self) -> None:
        blocks = [_block(TODAY, level=2), _block(TODAY, level=1), _block(TODAY, level=1)]
        assert progression.next_level(blocks, content.trainer()).level == 2

    def test_a_poor_block_moves_down_but_never_below_level_one(self) -> None:
        trainer = content.trainer()
        down = progression.next_level([_block(TODAY, level=3, acc=0.5)], trainer)
        assert (down.level, down.change) == (2, -1)
        assert "below 60%" in down.reason
        timeouts = progression.next_level([_block(TODAY, level=3, timeouts=0.3)], trainer)
        assert (timeouts.level, timeouts.change) == (2, -1)
        assert progression.next_level([_block(TODAY, level=1, acc=0.5)], trainer).level == 1

    def test_the_top_level_stays_the_top(self) -> None:
        trainer = content.trainer()
        top = [_block(TODAY, level=trainer.top), _block(TODAY, level=trainer.top)]
        assert progression.next_level(top, trainer).level == trainer.top


class TestStageOne:
    RULE = content.stages().one

    def _ready(self, blocks: list[BlockSummary], since_days: int = 10) -> progression.Readiness:
        return progression.stage_one_ready(
            blocks, in_stage_since=TODAY - timedelta(days=since_days), today=TODAY, rule=self.RULE
        )

    def test_three_good_sessions_after_a_week_make_the_patient_ready(self) -> None:
        blocks = [_block(TODAY - timedelta(days=d)) for d in (0, 2, 5)]
        found = self._ready(blocks)
        assert found.ready
        assert all(c.met for c in found.criteria)

    def test_two_sessions_are_not_enough(self) -> None:
        found = self._ready([_block(TODAY), _block(TODAY - timedelta(days=1))])
        assert not found.ready
        assert found.criteria[0].text == "2 of 3 practice days done" and not found.criteria[0].met

    def test_three_blocks_on_one_day_are_one_session(self) -> None:
        assert not self._ready([_block(TODAY), _block(TODAY), _block(TODAY)]).ready

    def test_one_side_below_80_percent_on_one_day_holds_back(self) -> None:
        blocks = [
            _block(TODAY),
            _block(TODAY - timedelta(days=1), left_acc=0.75),
            _block(TODAY - timedelta(days=2)),
        ]
        found = self._ready(blocks)
        assert not found.ready
        assert [c.met for c in found.criteria][:3] == [True, False, True]

    def test_slow_times_or_a_left_right_difference_hold_back(self) -> None:
        days = [TODAY - timedelta(days=d) for d in (0, 1, 2)]
        assert not self._ready([_block(days[0], right_rt=2200), _block(days[1]), _block(days[2])]).ready
        assert not self._ready([_block(days[0], flag=True), _block(days[1]), _block(days[2])]).ready

    def test_less_than_a_week_at_the_stage_holds_back(self) -> None:
        blocks = [_block(TODAY - timedelta(days=d)) for d in (0, 1, 2)]
        found = self._ready(blocks, since_days=6)
        assert not found.ready
        assert found.criteria[-1].text == "at least 7 days at this stage (6 so far)"
        assert self._ready(blocks, since_days=7).ready

    def test_an_older_good_day_does_not_hide_a_poor_recent_one(self) -> None:
        blocks = [_block(TODAY, acc=0.7)] + [_block(TODAY - timedelta(days=d)) for d in (1, 2, 3)]
        assert not self._ready(blocks).ready


class TestStageTwo:
    RULE = content.stages().two

    def test_ten_exercises_on_five_days_with_little_pain(self) -> None:
        entries = [ImageryEntry(TODAY - timedelta(days=d // 2), pain=2, effort=4) for d in range(10)]
        since = TODAY - timedelta(days=8)
        assert progression.stage_two_ready(entries, in_stage_since=since, today=TODAY, rule=self.RULE).ready

    def test_painful_imagining_or_too_few_days_hold_back(self) -> None:
        since = TODAY - timedelta(days=8)
        painful = [ImageryEntry(TODAY - timedelta(days=d // 2), pain=6, effort=4) for d in range(10)]
        assert not progression.stage_two_ready(
            painful, in_stage_since=since, today=TODAY, rule=self.RULE
        ).ready
        crammed = [ImageryEntry(TODAY, pain=1, effort=4) for _ in range(12)]
        assert not progression.stage_two_ready(
            crammed, in_stage_since=since, today=TODAY, rule=self.RULE
        ).ready

    def test_entries_before_the_stage_began_do_not_count(self) -> None:
        entries = [ImageryEntry(TODAY - timedelta(days=20 + d), pain=1, effort=2) for d in range(10)]
        found = progression.stage_two_ready(
            entries, in_stage_since=TODAY - timedelta(days=8), today=TODAY, rule=self.RULE
        )
        assert not found.ready and found.criteria[0].text.startswith("0 of 10")


class TestLadder:
    def test_the_next_step_opens_when_the_one_before_is_steady(self) -> None:
        ladder = content.ladder()
        first, second = ladder.steps[0].id, ladder.steps[1].id
        calm = [MovementEntry(first, 3, 3, 4, 2)] * 3
        status = progression.ladder_status(calm, ladder)
        assert status[0].steady and status[0].times == 3
        assert status[1].open and not status[2].open

        twice = progression.ladder_status(calm[:2], ladder)
        assert not twice[0].steady and not twice[1].open

        flare = [*calm[:2], MovementEntry(first, 3, 6, 4, 2)]  # pain rose by 3 the last time
        assert not progression.ladder_status(flare, ladder)[1].open
        scared = [*calm[:2], MovementEntry(first, 3, 3, 8, 7)]  # worry still 7 afterwards
        assert not progression.ladder_status(scared, ladder)[1].open
        # a step once done stays open
        assert progression.ladder_status([MovementEntry(second, 2, 2, 2, 2)], ladder)[1].open
