"""PRT content: the shipped lessons, checklist, course and script are complete; quizzes and the checklist are
scored on the server with a message for every bad answer."""

from __future__ import annotations

import re
from datetime import date

import pytest

from painrewire.programs.prt import content
from painrewire.programs.prt.charts import RatedPractice, before_after_chart
from painrewire.programs.prt.content import AnswerError, ContentError

TOPICS = {
    "how_the_brain_makes_pain",
    "sensitisation",
    "danger_signals",
    "pain_after_healing",
    "safety_reappraisal",
    "fear_and_attention",
    "relapse_and_setbacks",
    "living_fully",
}


def test_the_program_ships_every_required_lesson_with_sources_and_a_quiz() -> None:
    lessons = content.lessons()
    assert {lesson.id for lesson in lessons} >= TOPICS
    assert len(lessons) >= 8
    assert [lesson.order for lesson in lessons] == sorted(lesson.order for lesson in lessons)
    for lesson in lessons:
        assert lesson.sources, lesson.id
        assert len(lesson.quiz) >= 3, lesson.id
        assert 1 <= lesson.pass_mark <= len(lesson.quiz)
        assert all(sum(o.correct for o in q.options) == 1 for q in lesson.quiz)
        assert all(o.feedback for q in lesson.quiz for o in q.options if not o.correct)
        assert lesson.body_html.startswith("<h2>"), lesson.id


def test_the_first_lesson_says_the_pain_is_real() -> None:
    first = content.lessons()[0]
    assert first.id == "how_the_brain_makes_pain"
    assert "<strong>your pain is real</strong>" in first.body_html


def test_raw_html_in_a_lesson_is_shown_as_text_never_run() -> None:
    text = (
        "---\nid: x\norder: 1\ntitle: T\nminutes: 2\nsummary: S\nsources: [A]\npass_mark: 1\n"
        "quiz:\n  - id: q\n    question: Q?\n    explanation: E\n    options:\n"
        "      - {text: right, correct: true}\n      - {text: wrong, feedback: because}\n"
        "---\nHello <script>alert(1)</script>\n"
    )
    lesson = content.parse_lesson(text)
    assert "<script>" not in lesson.body_html
    assert "&lt;script&gt;" in lesson.body_html


def lesson(lesson_id: str = "sensitisation") -> content.Lesson:
    found = content.lesson_by_id(lesson_id)
    assert found is not None
    return found


class TestScoreQuiz:
    def test_all_right_passes_with_no_correction(self) -> None:
        chosen = {q.id: q.correct_index for q in lesson().quiz}
        result = content.score_quiz(lesson(), chosen)
        assert (result.score, result.total, result.passed) == (3, 3, True)
        assert all(a.correct for a in result.answers)

    def test_a_wrong_answer_gets_its_own_feedback_and_the_explanation(self) -> None:
        quiz = lesson().quiz
        chosen = {q.id: q.correct_index for q in quiz}
        chosen["smoke_alarm"] = 1  # "A fire that keeps spreading through the house."
        result = content.score_quiz(lesson(), {k: str(v) for k, v in chosen.items()})
        assert result.score == 2 and result.passed  # pass mark is 2 of 3
        wrong = result.answers[0]
        assert not wrong.correct and wrong.correct_index == 0
        assert wrong.feedback.startswith("Sensitisation is about the alarm, not a fire.")
        assert wrong.explanation.startswith("With sensitisation the alarm system is on high alert")

    def test_one_right_of_three_does_not_pass(self) -> None:
        quiz = lesson().quiz
        chosen = {q.id: (q.correct_index + 1) % len(q.options) for q in quiz}
        chosen[quiz[0].id] = quiz[0].correct_index
        result = content.score_quiz(lesson(), chosen)
        assert (result.score, result.passed) == (1, False)

    def test_a_question_left_out_is_refused_by_number(self) -> None:
        quiz = lesson().quiz
        with pytest.raises(AnswerError, match=re.escape("Please choose an answer to question 2.")) as err:
            content.score_quiz(lesson(), {quiz[0].id: 0, quiz[2].id: 0})
        assert err.value.field == quiz[1].id

    @pytest.mark.parametrize("bad", [7, -1, "2.5", "zero", True, "99999"])
    def test_an_option_that_does_not_exist_is_refused(self, bad: object) -> None:
        quiz = lesson().quiz
        chosen: dict[str, object] = {q.id: 0 for q in quiz}
        chosen[quiz[0].id] = bad
        with pytest.raises(
            AnswerError, match=re.escape("Question 1 has options 1 to 3; please choose one of them.")
        ):
            content.score_quiz(lesson(), chosen)

    def test_a_question_from_another_quiz_is_refused(self) -> None:
        chosen: dict[str, object] = {q.id: 0 for q in lesson().quiz}
        chosen["nail_story"] = 0
        with pytest.raises(AnswerError, match=re.escape("There is no question 'nail_story' in this quiz.")):
            content.score_quiz(lesson(), chosen)


class TestChecklist:
    def answers(self, yes: int) -> dict[str, bool]:
        items = content.checklist().items
        return {item.id: i < yes for i, item in enumerate(items)}

    @pytest.mark.parametrize(
        ("yes", "level"), [(0, "few"), (2, "few"), (3, "some"), (5, "some"), (6, "many"), (13, "many")]
    )
    def test_the_count_of_yes_answers_gives_the_level(self, yes: int, level: str) -> None:
        summary = content.summarise_checklist(self.answers(yes))
        assert (summary.count, summary.level, summary.total) == (yes, level, 13)
        assert summary.endorsed == tuple(item.id for item in content.checklist().items[:yes])

    def test_many_signs_is_explained_as_good_news(self) -> None:
        assert content.summarise_checklist(self.answers(8)).text.startswith(
            "Many signs that your pain is being driven by the brain's alarm rather than by damage."
        )

    def test_a_statement_not_answered_is_never_taken_as_no(self) -> None:
        answers = self.answers(4)
        del answers["symmetrical"]
        with pytest.raises(
            AnswerError, match="Please answer yes or no to statement 5: My pain is on both sides"
        ):
            content.summarise_checklist(answers)

    def test_an_answer_other_than_yes_or_no_is_refused(self) -> None:
        answers: dict[str, object] = dict(self.answers(4))
        answers["symmetrical"] = "maybe"
        with pytest.raises(AnswerError, match=re.escape("Statement 5 is answered yes or no.")):
            content.summarise_checklist(answers)

    def test_the_checklist_covers_the_signs_the_issue_names(self) -> None:
        ids = {item.id for item in content.checklist().items}
        assert {
            "onset_without_injury",
            "onset_during_stress",
            "moves_or_spreads",
            "symmetrical",
            "inconsistent_triggers",
            "delayed_pain",
            "triggers_unrelated_to_body",
            "worse_with_stress",
        } <= ids

    def test_levels_out_of_order_are_refused(self) -> None:
        document = {
            "version": "x",
            "intro": "i",
            "sources": [],
            "items": [{"id": "a", "text": "t", "why": "w"}],
            "levels": [
                {"level": "some", "from": 0, "text": "t"},
                {"level": "few", "from": 1, "text": "t"},
                {"level": "many", "from": 1, "text": "t"},
            ],
        }
        with pytest.raises(
            ContentError,
            match=re.escape("checklist.yaml: field 'levels': list the levels few, some, many in that order"),
        ):
            content.parse_checklist(document, origin="checklist.yaml")


def test_the_course_is_eight_sessions_two_a_week_for_four_weeks_with_aims() -> None:
    course = content.course()
    assert [s.number for s in course.sessions] == list(range(1, 9))
    assert [s.week for s in course.sessions] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert all(s.aims for s in course.sessions)
    assert course.appointment_type == "prt_session"
    linked = {lesson_id for s in course.sessions for lesson_id in s.lessons}
    assert linked >= TOPICS


def test_a_course_linking_a_lesson_that_does_not_exist_is_refused() -> None:
    document = {
        "appointment_type": "prt_session",
        "sources": [],
        "sessions": [
            {"number": 1, "week": 1, "title": "t", "aims": ["a"], "lessons": ["nope"], "practice": "p"}
        ],
    }
    with pytest.raises(
        ContentError, match=re.escape("course.yaml: session 1, field 'lessons': no lesson 'nope'")
    ):
        content.parse_course(document, ["sensitisation"], origin="course.yaml")


def test_somatic_tracking_runs_about_five_minutes_in_timed_steps() -> None:
    script = content.somatic_script()
    assert 240 <= script.total_seconds <= 360
    assert script.total_seconds == sum(step.seconds for step in script.steps)
    assert any("safe" in step.text for step in script.steps)


class TestBeforeAfterChart:
    def test_each_practice_draws_a_pain_and_a_fear_bar_from_before_to_after(self) -> None:
        svg = before_after_chart(
            [RatedPractice(date(2026, 3, 2), 6, 4, 5, 2), RatedPractice(date(2026, 3, 3), 4, 4, 3, 1)],
            width=240,
            height=140,
        )
        # plot height 140 - 30 - 34 = 76; rating 6 sits at 30 + 4/10 * 76 = 60.4, rating 4 at 75.6
        assert '<circle class="before" cx="' in svg
        assert 'cy="60.4"' in svg and 'cy="75.6"' in svg
        assert svg.count('<g class="pain">') == 2 and svg.count('<g class="fear">') == 2
        assert "on average pain changed by -1 and fear by -2.5 points" in svg

    def test_no_practice_says_so(self) -> None:
        assert "No practice yet" in before_after_chart([])

    def test_a_rating_off_the_scale_is_refused(self) -> None:
        with pytest.raises(ValueError, match="ratings are 0 to 10, got 11"):
            before_after_chart([RatedPractice(date(2026, 3, 2), 11, 4, 5, 2)])


def test_a_lesson_with_a_wrong_option_without_feedback_names_the_file_question_and_option() -> None:
    text = (
        "---\nid: x\norder: 99\ntitle: X\nminutes: 1\nsummary: s\nsources: [s]\npass_mark: 1\nquiz:\n"
        "  - id: q\n    question: q?\n    options:\n      - text: a\n        correct: true\n"
        "      - text: b\n    explanation: e\n---\nText.\n"
    )
    with pytest.raises(
        ContentError,
        match=re.escape(
            "prt/lessons/x.md: question 'q', option 2: every wrong option needs feedback saying why it is not right"
        ),
    ):
        content.parse_lesson(text, origin="prt/lessons/x.md")


def test_a_lesson_longer_than_an_hour_is_refused_naming_the_field() -> None:
    text = (
        "---\nid: x\norder: 99\ntitle: X\nminutes: 90\nsummary: s\nsources: [s]\npass_mark: 2\nquiz:\n"
        "  - id: q\n    question: q?\n    options:\n      - text: a\n        correct: true\n"
        "      - text: b\n        feedback: Not this.\n    explanation: e\n---\nText.\n"
    )
    with pytest.raises(ContentError) as caught:
        content.parse_lesson(text, origin="x.md")
    assert caught.value.problems == ("field 'minutes': input should be less than or equal to 60, got 90",)
