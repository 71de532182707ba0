"""Free times from weekly hours: exceptions, buffers, the patient's own visits, and both daylight-saving changes.

Known answers are worked out by hand from the Europe/London rules: on Sunday 28 March 2027 the clock jumps
from 01:00 GMT to 02:00 BST (01:00 UTC); on Sunday 31 October 2027 it goes back from 02:00 BST to 01:00 GMT
(01:00 UTC), so 01:00-02:00 happens twice.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from painrewire.scheduling.core import slots as core

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
SPRING = date(2027, 3, 28)  # last Sunday of March 2027
AUTUMN = date(2027, 10, 31)  # last Sunday of October 2027


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def epoch(*args: int) -> int:
    return core.to_epoch(utc(*args))


def weekdays(starts: str = "09:00", ends: str = "17:00", days: range = range(5)) -> list[core.WeeklyBlock]:
    return [core.WeeklyBlock(d, time.fromisoformat(starts), time.fromisoformat(ends)) for d in days]


def query(
    start: datetime,
    end: datetime,
    *,
    minutes: int = 60,
    step: int = 60,
    before: int = 0,
    after: int = 0,
    mode: str | None = None,
    busy: list[core.Span] | None = None,
) -> core.SlotQuery:
    return core.SlotQuery(
        duration=minutes * 60,
        buffer_before=before * 60,
        buffer_after=after * 60,
        step=step * 60,
        window_start=core.to_epoch(start),
        window_end=core.to_epoch(end),
        earliest=0,
        mode=mode,
        patient_busy=busy or [],
    )


def starts(calendar: core.CalendarData, q: core.SlotQuery, zone: str = LONDON) -> list[str]:
    tz = ZoneInfo(zone)
    return [
        core.from_epoch(f.start).astimezone(tz).strftime("%a %H:%M %Z") for f in core.free_starts(calendar, q)
    ]


class TestLocalInstant:
    def test_an_ordinary_time_is_read_with_the_days_offset(self) -> None:
        assert core.from_epoch(core.local_instant(date(2027, 1, 4), time(9), LONDON)) == utc(2027, 1, 4, 9)
        assert core.from_epoch(core.local_instant(date(2027, 7, 5), time(9), LONDON)) == utc(2027, 7, 5, 8)

    def test_a_time_the_clock_skips_is_read_as_the_moment_it_jumps(self) -> None:
        for clock in (time(1, 0), time(1, 30), time(1, 59)):
            assert core.from_epoch(core.local_instant(SPRING, clock, LONDON)) == utc(2027, 3, 28, 1)
            assert core.from_epoch(core.local_instant(SPRING, clock, LONDON, end=True)) == utc(2027, 3, 28, 1)

    def test_a_time_shown_twice_starts_at_its_first_showing_and_ends_at_its_second(self) -> None:
        assert core.from_epoch(core.local_instant(AUTUMN, time(1, 30), LONDON)) == utc(2027, 10, 31, 0, 30)
        assert core.from_epoch(core.local_instant(AUTUMN, time(1, 30), LONDON, end=True)) == utc(
            2027, 10, 31, 1, 30
        )


class TestDaylightSaving:
    def test_the_week_into_summer_time_keeps_nine_oclock_on_the_clock(self) -> None:
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "10:00"))
        q = query(utc(2027, 3, 22), utc(2027, 4, 3))  # Monday 22 March to Friday 2 April
        found = [core.from_epoch(f.start) for f in core.free_starts(calendar, q)]
        assert found[:5] == [utc(2027, 3, d, 9) for d in range(22, 27)]  # GMT: 09:00 is 09:00 UTC
        assert found[5:] == [
            utc(2027, 3, 29, 8),
            utc(2027, 3, 30, 8),
            utc(2027, 3, 31, 8),
            utc(2027, 4, 1, 8),
            utc(2027, 4, 2, 8),
        ]

    def test_the_week_back_to_winter_time_keeps_nine_oclock_on_the_clock(self) -> None:
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "10:00"))
        q = query(utc(2027, 10, 25), utc(2027, 11, 6))
        found = [core.from_epoch(f.start) for f in core.free_starts(calendar, q)]
        assert found[:5] == [utc(2027, 10, d, 8) for d in range(25, 30)]  # BST: 09:00 is 08:00 UTC
        assert found[5:] == [utc(2027, 11, d, 9) for d in range(1, 6)]

    def test_hours_across_the_skipped_hour_are_one_hour_shorter(self) -> None:
        calendar = core.CalendarData("c", LONDON, [core.WeeklyBlock(6, time(0, 0), time(3, 0))])
        q = query(utc(2027, 3, 27, 12), utc(2027, 3, 28, 12), minutes=30, step=30)
        assert starts(calendar, q) == ["Sun 00:00 GMT", "Sun 00:30 GMT", "Sun 02:00 BST", "Sun 02:30 BST"]

    def test_hours_across_the_repeated_hour_offer_both_half_past_ones(self) -> None:
        calendar = core.CalendarData("c", LONDON, [core.WeeklyBlock(6, time(0, 0), time(3, 0))])
        q = query(utc(2027, 10, 30, 12), utc(2027, 10, 31, 12), minutes=30, step=30)
        assert starts(calendar, q) == [
            "Sun 00:00 BST", "Sun 00:30 BST", "Sun 01:00 BST", "Sun 01:30 BST",
            "Sun 01:00 GMT", "Sun 01:30 GMT", "Sun 02:00 GMT", "Sun 02:30 GMT",
        ]  # fmt: skip

    def test_a_block_starting_in_the_skipped_hour_starts_when_the_clock_jumps(self) -> None:
        calendar = core.CalendarData("c", LONDON, [core.WeeklyBlock(6, time(1, 30), time(4, 0))])
        q = query(utc(2027, 3, 27, 12), utc(2027, 3, 28, 12))
        assert starts(calendar, q) == ["Sun 02:00 BST", "Sun 03:00 BST"]

    def test_a_block_ending_in_the_repeated_hour_ends_at_its_second_showing(self) -> None:
        calendar = core.CalendarData("c", LONDON, [core.WeeklyBlock(6, time(0, 0), time(1, 30))])
        q = query(utc(2027, 10, 30, 12), utc(2027, 10, 31, 12), minutes=30, step=30)
        # 00:00 BST (23:00 UTC) to 01:30 GMT (01:30 UTC): five half hours.
        assert len(starts(calendar, q)) == 5

    def test_a_patient_in_new_york_sees_the_london_hours_in_their_own_clock(self) -> None:
        # The US changes on 14 March 2027, London on 28 March: for two weeks the gap is 4 hours, not 5.
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "10:00"))
        q = query(utc(2027, 3, 8), utc(2027, 3, 20))
        assert starts(calendar, q, NEW_YORK) == [
            f"{d} 04:00 EST" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
        ] + [f"{d} 05:00 EDT" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")]

    def test_a_calendar_in_another_zone_uses_that_zones_clock(self) -> None:
        calendar = core.CalendarData("c", NEW_YORK, weekdays("09:00", "10:00", range(1)))
        q = query(utc(2027, 1, 4), utc(2027, 1, 5))
        assert [core.from_epoch(f.start) for f in core.free_starts(calendar, q)] == [utc(2027, 1, 4, 14)]


class TestBusyTime:
    monday = (utc(2027, 1, 4), utc(2027, 1, 5))

    def test_a_booking_and_its_buffer_are_not_offered(self) -> None:
        calendar = core.CalendarData(
            "c", LONDON, weekdays("09:00", "13:00"), bookings=[(epoch(2027, 1, 4, 10), epoch(2027, 1, 4, 11))]
        )
        q = query(*self.monday, minutes=50, step=30, after=10)
        # 09:00 (held to 10:00) fits; 09:30 would hold to 10:30 and clash; 11:00 onwards is free.
        assert starts(calendar, q) == ["Mon 09:00 GMT", "Mon 11:00 GMT", "Mon 11:30 GMT", "Mon 12:00 GMT"]

    def test_the_buffer_before_keeps_room_after_the_previous_booking(self) -> None:
        calendar = core.CalendarData(
            "c", LONDON, weekdays("09:00", "12:00"), bookings=[(epoch(2027, 1, 4, 9), epoch(2027, 1, 4, 10))]
        )
        q = query(*self.monday, minutes=45, step=15, before=10)
        assert starts(calendar, q)[0] == "Mon 10:15 GMT"

    def test_a_holiday_removes_the_day_and_a_partial_day_only_its_hours(self) -> None:
        away = [(epoch(2027, 1, 4), epoch(2027, 1, 5)), (epoch(2027, 1, 5, 12), epoch(2027, 1, 5, 17))]
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "17:00", range(2)), away=away)
        q = query(utc(2027, 1, 4), utc(2027, 1, 6), step=60)
        assert starts(calendar, q) == ["Tue 09:00 GMT", "Tue 10:00 GMT", "Tue 11:00 GMT"]

    def test_the_patients_own_appointment_elsewhere_is_kept_clear(self) -> None:
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "12:00"))
        q = query(*self.monday, busy=[(epoch(2027, 1, 4, 10), epoch(2027, 1, 4, 10, 45))])
        assert starts(calendar, q) == ["Mon 09:00 GMT", "Mon 11:00 GMT"]

    def test_nothing_before_the_earliest_bookable_moment(self) -> None:
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "12:00"))
        q = query(*self.monday)
        q = core.SlotQuery(**{**q.__dict__, "earliest": epoch(2027, 1, 4, 9, 20)})
        assert starts(calendar, q) == ["Mon 10:00 GMT", "Mon 11:00 GMT"]

    def test_a_mode_keeps_only_blocks_that_offer_it(self) -> None:
        blocks = [
            core.WeeklyBlock(0, time(9), time(10), "in_person"),
            core.WeeklyBlock(0, time(10), time(11), "video"),
        ]
        calendar = core.CalendarData("c", LONDON, blocks)
        assert starts(calendar, query(*self.monday, mode="video")) == ["Mon 10:00 GMT"]
        assert [f.mode for f in core.free_starts(calendar, query(*self.monday))] == ["in_person", "video"]

    def test_an_appointment_must_end_inside_the_working_hours(self) -> None:
        calendar = core.CalendarData("c", LONDON, weekdays("09:00", "10:30"))
        assert starts(calendar, query(*self.monday, step=30)) == ["Mon 09:00 GMT", "Mon 09:30 GMT"]


class TestFirstAvailable:
    def test_each_time_goes_to_the_first_calendar_free_then(self) -> None:
        a = core.CalendarData(
            "a", LONDON, weekdays("09:00", "11:00"), bookings=[(epoch(2027, 1, 4, 9), epoch(2027, 1, 4, 10))]
        )
        b = core.CalendarData("b", LONDON, weekdays("09:00", "11:00"))
        found = core.first_available([a, b], query(utc(2027, 1, 4), utc(2027, 1, 5)))
        assert [(core.from_epoch(f.start).hour, f.clinician_id) for f in found] == [(9, "b"), (10, "a")]

    @pytest.mark.parametrize("seed", range(5))
    def test_the_same_times_as_every_calendars_free_times_keeping_the_first(self, seed: int) -> None:
        """Checking each calendar only at times nobody took yet changes nothing: a seeded random clinic of
        shared and different hours, modes, bookings, time off and the patient's own visits."""
        rng = random.Random(seed)
        calendars = []
        for i in range(12):
            hours = weekdays("09:00", "17:00") if i % 3 else weekdays("08:30", "12:00", range(6))
            mode = rng.choice([core.EITHER, "in_person", "video"])
            blocks = [core.WeeklyBlock(b.weekday, b.starts, b.ends, mode) for b in hours]
            held = [
                (moment, moment + 60 * rng.choice((30, 45, 60)))
                for day in range(4, 30)
                for hour in range(8, 17)
                if rng.random() < 0.5
                for moment in [epoch(2027, 1, day, hour, rng.choice((0, 15, 30)))]
            ]
            away = [(epoch(2027, 1, 11), epoch(2027, 1, 13))] if i % 4 == 0 else []
            calendars.append(core.CalendarData(f"c{i}", LONDON if i % 5 else NEW_YORK, blocks, held, away))
        busy = [
            (epoch(2027, 1, 5, 10), epoch(2027, 1, 5, 11)),
            (epoch(2027, 1, 14, 14), epoch(2027, 1, 14, 15)),
        ]
        for asked in (None, "video"):
            q = query(utc(2027, 1, 4), utc(2027, 1, 30), minutes=30, step=30, after=10, mode=asked, busy=busy)
            expected: dict[int, core.FreeStart] = {}
            for calendar in calendars:
                for free in core.free_starts(calendar, q):
                    expected.setdefault(free.start, free)
            assert core.first_available(calendars, q) == [expected[m] for m in sorted(expected)]


class TestPlanCourse:
    def free(self, days: list[tuple[int, int]], clock: str = "10:00") -> list[int]:
        """Free starts on (month, day) pairs of 2027 at one London clock time."""
        return [core.local_instant(date(2027, m, d), time.fromisoformat(clock), LONDON) for m, d in days]

    def test_two_sessions_a_week_at_least_two_days_apart(self) -> None:
        # Free every weekday of four weeks from Monday 1 February 2027.
        free = self.free([(2, d) for d in range(1, 29) if date(2027, 2, d).weekday() < 5])
        plan = core.plan_course(
            free, LONDON, first_day=date(2027, 2, 1), weeks=4, per_week=2, min_days_apart=2
        )
        assert plan is not None
        days = [core.from_epoch(m).date() for m in plan]
        assert days == [date(2027, 2, d) for d in (1, 3, 8, 10, 15, 17, 22, 24)]

    def test_the_gap_also_holds_across_the_end_of_a_week(self) -> None:
        # Week 1 only has Thursday and Sunday free; week 2 must then start on Tuesday at the earliest.
        free = self.free([(2, 4), (2, 7), (2, 8), (2, 9), (2, 11), (2, 15), (2, 17), (2, 22), (2, 24)])
        plan = core.plan_course(
            free, LONDON, first_day=date(2027, 2, 1), weeks=3, per_week=2, min_days_apart=2
        )
        assert plan is not None
        assert [core.from_epoch(m).day for m in plan] == [4, 7, 9, 11, 15, 17]

    def test_none_when_a_week_has_too_few_free_days(self) -> None:
        free = self.free([(2, 1), (2, 3), (2, 9), (2, 15), (2, 17), (2, 22), (2, 24)])  # week 2 has one day
        assert (
            core.plan_course(free, LONDON, first_day=date(2027, 2, 1), weeks=4, per_week=2, min_days_apart=2)
            is None
        )

    def test_sessions_keep_one_time_of_day_where_they_can(self) -> None:
        free = (
            self.free([(2, 1), (2, 3)], "10:00") + self.free([(2, 3)], "09:00") + self.free([(2, 3)], "14:00")
        )
        plan = core.plan_course(
            free, LONDON, first_day=date(2027, 2, 1), weeks=1, per_week=2, min_days_apart=2
        )
        assert plan is not None
        assert [core.from_epoch(m).astimezone(ZoneInfo(LONDON)).strftime("%d %H:%M") for m in plan] == [
            "01 10:00",
            "03 10:00",
        ]

    def test_a_course_across_the_clock_change_keeps_the_clock_time(self) -> None:
        free = self.free([(3, 22), (3, 24), (3, 29), (3, 31)], "10:00")
        plan = core.plan_course(
            free, LONDON, first_day=date(2027, 3, 22), weeks=2, per_week=2, min_days_apart=2
        )
        assert plan is not None
        assert [core.from_epoch(m).hour for m in plan] == [10, 10, 9, 9]  # 10:00 GMT, then 10:00 BST


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK, "Australia/Lord_Howe"])
def test_a_whole_year_of_days_has_no_lost_or_doubled_slot(zone: str) -> None:
    """Every day of 2027 in three zones (Lord Howe shifts by half an hour): a 9-17 day has 8 hourly slots."""
    calendar = core.CalendarData("c", zone, weekdays("09:00", "17:00", range(7)))
    found = core.free_starts(calendar, query(utc(2026, 12, 31), utc(2028, 1, 2)))
    by_day: dict[date, int] = {}
    for f in found:
        day = core.from_epoch(f.start).astimezone(ZoneInfo(zone)).date()
        by_day[day] = by_day.get(day, 0) + 1
    assert all(
        by_day[date.fromordinal(n)] == 8
        for n in range(date(2027, 1, 1).toordinal(), date(2028, 1, 1).toordinal())
    )
