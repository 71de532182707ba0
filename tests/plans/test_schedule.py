"""The plan's calendar, weekly tasks and version diffs: pure functions with answers worked out by hand."""

from __future__ import annotations

import re
from datetime import date

import pytest

from painrewire.content import ContentError
from painrewire.plans.changes import describe_changes
from painrewire.plans.rules import (
    PlannedModule,
    PlanProposal,
    QuestionnaireSchedule,
    schedule_weeks,
    schedule_words,
)
from painrewire.plans.schedule import DueStatus, occurrences, plan_week, week_dates
from painrewire.plans.tasks import next_task, parse_tasks, task_catalogue, weekly_tasks

START = date(2026, 3, 2)  # a Monday; the plan's week 1 runs 2-8 March


def proposal(*modules: PlannedModule, questionnaires: tuple[QuestionnaireSchedule, ...] = ()) -> PlanProposal:
    return PlanProposal(
        modules=modules,
        disciplines=("pain_specialist",),
        questionnaires=questionnaires,
        intensity="standard",
        end_week=max((m.weeks for m in modules), default=0),
        held=False,
        hold_reasons=(),
        review_reasons=(),
        fired=(),
        rules_version="test",
    )


class TestCalendar:
    @pytest.mark.parametrize(
        ("day", "week"),
        [
            (date(2026, 3, 1), 0),
            (START, 1),
            (date(2026, 3, 8), 1),
            (date(2026, 3, 9), 2),
            (date(2026, 3, 23), 4),
        ],
    )
    def test_plan_weeks_start_on_the_start_day(self, day: date, week: int) -> None:
        assert plan_week(START, day) == week

    def test_week_dates(self) -> None:
        assert week_dates(START, 3) == (date(2026, 3, 16), date(2026, 3, 22))

    def test_schedule_words_and_weeks_round_trip(self) -> None:
        assert schedule_weeks(["baseline", "every_2_weeks", "end"], 7) == (0, 2, 4, 6, 7)
        assert schedule_words((0, 2, 4, 6, 7), 7) == ("baseline", "every_2_weeks", "end")
        assert schedule_words((0, 8), 8) == ("baseline", "end")
        with pytest.raises(ValueError, match="unknown schedule 'monthly'"):
            schedule_weeks(["monthly"], 8)


class TestOccurrences:
    schedules = (QuestionnaireSchedule("peg", (0, 2, 4)), QuestionnaireSchedule("odi", (0, 4)))

    def test_the_baseline_counts_an_assessment_from_the_weeks_before_the_plan(self) -> None:
        found = occurrences(self.schedules, START, {"peg": [date(2026, 2, 10)]}, date(2026, 3, 3))
        peg0, odi0 = found[0], found[1]
        assert (peg0.instrument, peg0.week, peg0.status, peg0.done_on) == (
            "peg",
            0,
            DueStatus.DONE,
            date(2026, 2, 10),
        )
        assert (odi0.instrument, odi0.status, odi0.overdue) == ("odi", DueStatus.DUE, True)  # due 2 March

    def test_a_fortnightly_repeat_is_due_from_three_days_before_to_ten_days_after(self) -> None:
        due_on = date(2026, 3, 16)  # week 2
        at = {
            d: occurrences(self.schedules, START, {}, d)[2]
            for d in (date(2026, 3, 12), date(2026, 3, 13), date(2026, 3, 26))
        }
        assert [at[d].status for d in sorted(at)] == [DueStatus.UPCOMING, DueStatus.DUE, DueStatus.DUE]
        assert at[date(2026, 3, 13)].due_on == due_on and not at[date(2026, 3, 13)].overdue
        # the week-4 window opens 27 March, so week 2's closes the day before, and then it is missed
        assert at[date(2026, 3, 26)].closes_on == date(2026, 3, 26) and at[date(2026, 3, 26)].overdue
        assert occurrences(self.schedules, START, {}, date(2026, 3, 27))[2].status == DueStatus.MISSED

    def test_one_completion_fills_one_window_only(self) -> None:
        found = occurrences(
            (QuestionnaireSchedule("peg", (0, 2)),), START, {"peg": [date(2026, 3, 3)]}, date(2026, 3, 14)
        )
        assert [(o.week, o.status) for o in found] == [(0, DueStatus.DONE), (2, DueStatus.DUE)]


class TestWeeklyTasks:
    prt = PlannedModule("prt", 2, 4, ("pain_education", "somatic_tracking"))
    cbt = PlannedModule("cbt", 1, 8, ("thought_records",))

    def test_tasks_follow_the_modules_focus_frequency_and_weeks(self) -> None:
        plan = proposal(self.prt, self.cbt)
        week1 = weekly_tasks(
            plan, 1, {("prt", "lesson"): 2, ("cbt", "thought_record"): 1}, {("prt", "lesson"): 1}
        )
        assert [(t.id, t.done, t.target, t.done_today) for t in week1] == [
            ("prt_lesson", 2, 2, 1),
            ("prt_somatic_tracking", 0, 5, 0),
            ("cbt_thought_record", 1, 1, 0),
        ]
        week6 = weekly_tasks(plan, 6, {}, {})
        assert [t.id for t in week6] == ["cbt_thought_record"]  # PRT ran for 4 weeks

    def test_a_module_without_focus_gets_all_its_tasks_and_any_activity_counts(self) -> None:
        plan = proposal(PlannedModule("mindfulness", 5, 8), PlannedModule("cbt", 2, 8))
        tasks = weekly_tasks(
            plan, 2, {("mindfulness", "breathing_pacer"): 2, ("mindfulness", "body_scan"): 1}, {}
        )
        assert [(t.id, t.done, t.target) for t in tasks] == [
            ("mindfulness_practice", 3, 5),
            ("cbt_thought_record", 0, 2),
            ("cbt_exposure", 0, 2),
            ("cbt_pacing", 0, 1),  # logged once a week, whatever the sessions
        ]

    def test_next_is_the_first_unfinished_task_not_done_today(self) -> None:
        plan = proposal(self.prt)
        tasks = weekly_tasks(plan, 2, {("prt", "lesson"): 1}, {("prt", "lesson"): 1})
        chosen = next_task(tasks)
        assert chosen is not None and chosen.id == "prt_somatic_tracking"
        done = weekly_tasks(plan, 2, {("prt", "lesson"): 2, ("prt", "somatic_tracking"): 5}, {})
        assert next_task(done) is None

    def test_the_shipped_catalogue_links_every_task_to_a_page(self) -> None:
        catalogue = task_catalogue()
        assert all(t.href.startswith("/patient/") for t in catalogue.tasks)
        assert catalogue.hold_message("red_flag").startswith("One of your answers needs a clinician")
        assert catalogue.hold_message("something_new") == catalogue.holds["default"]

    @pytest.mark.parametrize(
        ("task", "message"),
        [
            (
                {"id": "x", "title": "t", "href": "/p", "per_week": 0, "activity": "a"},
                "plans/tasks.yaml: module 'prt', task 'x', field 'per_week'",
            ),
            (
                {"id": "x", "title": "t", "href": "http://evil", "per_week": 1, "activity": "a"},
                "plans/tasks.yaml: module 'prt', task 'x', field 'href': href must be a path",
            ),
            (
                {"id": "x", "title": "t", "href": "/p", "per_week": 1, "activity": "a", "focus": "body_scan"},
                "plans/tasks.yaml: field 'tasks': task 'x': unknown focus 'body_scan' for prt",
            ),
        ],
    )
    def test_a_wrong_task_file_is_refused_naming_the_task(
        self, task: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ContentError, match=re.escape(message)):
            parse_tasks({"tasks": {"prt": [task]}, "holds": {"default": "d"}})


class TestDescribeChanges:
    def test_the_first_version_says_so(self) -> None:
        assert describe_changes(None, proposal(PlannedModule("prt", 2, 4))) == ["First version of the plan."]

    def test_frequency_length_focus_and_questionnaire_changes_are_named(self) -> None:
        old = proposal(
            PlannedModule("prt", 2, 4, ("pain_education",)),
            questionnaires=(QuestionnaireSchedule("peg", (0, 4)),),
        )
        new = proposal(
            PlannedModule("prt", 3, 6, ("pain_education", "somatic_tracking")),
            PlannedModule("gmi", 7, 6),
            questionnaires=(QuestionnaireSchedule("peg", (0, 2, 4, 6)), QuestionnaireSchedule("phq9", (0,))),
        )
        assert describe_changes(old, new) == [
            "Pain reprocessing therapy: 2 → 3 sessions a week.",
            "Pain reprocessing therapy: 4 → 6 weeks.",
            "Pain reprocessing therapy: added focus somatic tracking.",
            "Added Graded motor imagery: 7 a week for 6 weeks.",
            "PEG: weeks 0 and 4 → weeks 0, 2, 4 and 6.",
            "PHQ-9 added: week 0.",
        ]

    def test_no_difference_gives_no_sentence(self) -> None:
        same = proposal(PlannedModule("prt", 2, 4))
        assert describe_changes(same, same) == []
