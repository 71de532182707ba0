"""PRT content: pain-science lessons with their quizzes, the neuroplastic-pain checklist, the somatic-tracking
script and the 4-week course, read from the data files beside this module and checked when loaded.

Scoring a quiz and summarising the checklist happen here, on the server, from the content files: the page
never holds the right answers. This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

import yaml
from markdown_it import MarkdownIt
from pydantic import AfterValidator, Field, StrictBool, ValidationInfo, field_validator, model_validator

from painrewire.content import ContentError, ContentModel, Id, read_yaml, repeated, validate

HERE = Path(__file__).parent
LESSONS_DIR = HERE / "lessons"
CHECKLIST_FILE = HERE / "checklist.yaml"
COURSE_FILE = HERE / "course.yaml"
SOMATIC_FILE = HERE / "somatic_tracking.yaml"

#: Checklist summary levels, from least to most evidence (the plan rules read these names).
CHECKLIST_LEVELS: tuple[str, ...] = ("few", "some", "many")

_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
# Lesson text is written by the clinic; raw HTML in it is shown as text, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
#: A sentence that says a medical check happened is true only once it has: content writes both wordings,
#: ``{{check-done}}after the check{{check-pending}}before it{{check-end}}``, and the patient sees one.
CHECK_MARKER = re.compile(
    r"\{\{check-done\}\}(?P<done>.*?)\{\{check-pending\}\}(?P<pending>.*?)\{\{check-end\}\}", re.DOTALL
)
_ANY_CHECK_MARKER = re.compile(r"\{\{check-[a-z]*\}\}")


class AnswerError(ValueError):
    """Answers that cannot be scored; ``field`` names the question or item, ``message`` says what to do."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- lessons and quizzes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizOption:
    text: str
    correct: bool = False
    feedback: str = ""


@dataclass(frozen=True)
class QuizQuestion:
    """One check-yourself question with exactly one right option."""

    id: str
    question: str
    options: tuple[QuizOption, ...]
    explanation: str

    @property
    def correct_index(self) -> int:
        return next(i for i, o in enumerate(self.options) if o.correct)


@dataclass(frozen=True)
class Lesson:
    """One short pain-science lesson: Markdown text, its sources and its quiz."""

    id: str
    order: int
    title: str
    minutes: int
    summary: str
    sources: tuple[str, ...]
    pass_mark: int
    quiz: tuple[QuizQuestion, ...]
    body_markdown: str

    @property
    def body_html(self) -> str:
        """The lesson text as HTML (raw HTML in the source is escaped)."""
        return _MARKDOWN.render(self.body_markdown)


@dataclass(frozen=True)
class AnswerResult:
    """How one question was answered, with the explanation a patient sees when it was wrong."""

    question_id: str
    chosen: int
    correct: bool
    correct_index: int
    feedback: str
    explanation: str


@dataclass(frozen=True)
class QuizResult:
    lesson_id: str
    score: int
    total: int
    pass_mark: int
    answers: tuple[AnswerResult, ...]

    @property
    def passed(self) -> bool:
        return self.score >= self.pass_mark


#: Text in a content file: not empty, surrounding spaces dropped.
def _stripped(value: str) -> str:
    if not value.strip():
        raise ValueError("some text is needed here")
    return value.strip()


def _filled(value: str) -> str:
    _stripped(value)
    return value


#: Text that must not be empty, kept as written.
Filled = Annotated[str, AfterValidator(_filled)]


def resolve_check(text: str, *, cleared: bool) -> str:
    """``text`` with each check marker replaced by its wording after (``cleared``) or before the check."""
    return CHECK_MARKER.sub(lambda m: m.group("done" if cleared else "pending"), text)


def mentions_check(text: str) -> bool:
    return CHECK_MARKER.search(text) is not None


def _checked_markers(text: str) -> str:
    """Refuse a half-written check marker (one that would show its braces to a patient)."""
    for cleared in (True, False):
        if _ANY_CHECK_MARKER.search(resolve_check(text, cleared=cleared)):
            raise ValueError("a check marker must read {{check-done}}...{{check-pending}}...{{check-end}}")
    return text


def lesson_for(lesson: Lesson, *, cleared: bool) -> Lesson:
    """The lesson as this patient reads it: every check marker in the wording for before or after the check."""

    def say(text: str) -> str:
        return resolve_check(text, cleared=cleared)

    quiz = tuple(
        replace(
            q,
            question=say(q.question),
            explanation=say(q.explanation),
            options=tuple(replace(o, text=say(o.text), feedback=say(o.feedback)) for o in q.options),
        )
        for q in lesson.quiz
    )
    return replace(lesson, summary=say(lesson.summary), body_markdown=say(lesson.body_markdown), quiz=quiz)


class QuizOptionEntry(ContentModel):
    text: str
    correct: StrictBool = False
    feedback: str = ""

    @field_validator("text")
    @classmethod
    def _some_text(cls, value: str) -> str:
        return _stripped(value)

    @model_validator(mode="after")
    def _wrong_options_say_why(self) -> QuizOptionEntry:
        if not self.correct and not self.feedback.strip():
            raise ValueError("every wrong option needs feedback saying why it is not right")
        return self


class QuizQuestionEntry(ContentModel):
    id: Id
    question: str
    options: list[QuizOptionEntry] = Field(min_length=2, max_length=6)
    explanation: str

    @field_validator("question", "explanation")
    @classmethod
    def _some_text(cls, value: str) -> str:
        return _stripped(value)

    @field_validator("options")
    @classmethod
    def _one_right_option(cls, value: list[QuizOptionEntry]) -> list[QuizOptionEntry]:
        if sum(o.correct for o in value) != 1:
            raise ValueError("exactly one option must be correct")
        return value


class LessonMeta(ContentModel):
    """A lesson's front matter."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {"quiz": ("question",)}

    id: Id
    order: int = Field(strict=True)
    title: str
    minutes: int = Field(ge=1, le=60, strict=True)
    summary: str
    sources: list[str] = Field(min_length=1)
    pass_mark: int = Field(strict=True)
    quiz: list[QuizQuestionEntry] = Field(min_length=1)

    @field_validator("title", "summary")
    @classmethod
    def _some_text(cls, value: str) -> str:
        return _stripped(value)

    @field_validator("sources")
    @classmethod
    def _sources_as_text(cls, value: list[str]) -> list[str]:
        return [_stripped(s) for s in value]

    @field_validator("quiz")
    @classmethod
    def _own_ids(cls, value: list[QuizQuestionEntry]) -> list[QuizQuestionEntry]:
        if repeated([q.id for q in value]):
            raise ValueError("two quiz questions share an id")
        return value

    @model_validator(mode="after")
    def _reachable_pass_mark(self) -> LessonMeta:
        if not 1 <= self.pass_mark <= len(self.quiz):
            raise ValueError(f"pass_mark must be from 1 to {len(self.quiz)}, got {self.pass_mark}")
        return self


def parse_lesson(text: str, *, origin: str | Path = "lesson") -> Lesson:
    """Read one lesson file: YAML front matter between ``---`` lines, then the Markdown text.

    Raises
    ------
    painrewire.content.ContentError
        Naming the file, the question or option, and the field.
    """
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ContentError(origin, ["a lesson starts with YAML front matter between two '---' lines"])
    try:
        meta = yaml.safe_load(match.group("meta"))
    except yaml.YAMLError as exc:
        raise ContentError(origin, [f"the front matter is not valid YAML: {exc}"]) from None
    checked = validate(meta, LessonMeta, origin=origin)
    body = match.group("body").strip()
    problems = [] if body else ["the lesson has no text"]
    try:
        _checked_markers(text)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ContentError(origin, problems)
    return Lesson(
        id=checked.id,
        order=checked.order,
        title=checked.title,
        minutes=checked.minutes,
        summary=checked.summary,
        sources=tuple(checked.sources),
        pass_mark=checked.pass_mark,
        quiz=tuple(
            QuizQuestion(
                id=q.id,
                question=q.question,
                options=tuple(QuizOption(o.text, o.correct, o.feedback.strip()) for o in q.options),
                explanation=q.explanation,
            )
            for q in checked.quiz
        ),
        body_markdown=body,
    )


@lru_cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson shipped with the program, in reading order."""
    found = [parse_lesson(p.read_text(encoding="utf-8"), origin=p) for p in sorted(LESSONS_DIR.glob("*.md"))]
    twice = repeated([lesson.id for lesson in found])
    if twice:
        raise ContentError(LESSONS_DIR, [f"two lessons share the id {twice[0]!r}"])
    orders = [lesson.order for lesson in found]
    if len(set(orders)) != len(orders):
        raise ContentError(LESSONS_DIR, ["two lessons share an order number"])
    return tuple(sorted(found, key=lambda lesson: lesson.order))


def lesson_by_id(lesson_id: str) -> Lesson | None:
    return next((lesson for lesson in lessons() if lesson.id == lesson_id), None)


def score_quiz(lesson: Lesson, answers: Mapping[str, Any]) -> QuizResult:
    """Score a patient's answers on the server.

    Parameters
    ----------
    lesson : Lesson
    answers : mapping of question id to chosen option
        The option's position, 0-based, as a whole number or its decimal text (as a form sends it).

    Returns
    -------
    result : QuizResult
        Score, pass mark and, per question, whether it was right and the explanation to show.

    Raises
    ------
    AnswerError
        A question left out, a question that is not in the quiz, or an option that does not exist.
    """
    unknown = sorted(set(answers) - {q.id for q in lesson.quiz})
    if unknown:
        raise AnswerError(f"There is no question {unknown[0]!r} in this quiz.", field=str(unknown[0]))
    results = []
    for number, question in enumerate(lesson.quiz, start=1):
        raw = answers.get(question.id)
        if raw is None or raw == "":
            raise AnswerError(f"Please choose an answer to question {number}.", field=question.id)
        chosen = _option_index(raw)
        if chosen is None or not 0 <= chosen < len(question.options):
            raise AnswerError(
                f"Question {number} has options 1 to {len(question.options)}; please choose one of them.",
                field=question.id,
            )
        option = question.options[chosen]
        results.append(
            AnswerResult(
                question_id=question.id,
                chosen=chosen,
                correct=option.correct,
                correct_index=question.correct_index,
                feedback=option.feedback,
                explanation=question.explanation,
            )
        )
    return QuizResult(
        lesson_id=lesson.id,
        score=sum(r.correct for r in results),
        total=len(results),
        pass_mark=lesson.pass_mark,
        answers=tuple(results),
    )


def _option_index(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 3:
        return int(raw.strip())
    return None


# --- the neuroplastic-pain checklist ------------------------------------------------------------------


#: What a patient not cleared yet reads beside a sign that also points to specific causes (instead of its "why").
WAITING_WHY = "This can also have other causes. Your clinician will go through it with you."
#: Families of specific causes a checklist item may also point to (the clearance form's causes, but "other").
OVERLAP_CAUSES: tuple[str, ...] = (
    "inflammatory",
    "radicular_neurological",
    "fracture",
    "malignancy",
    "infection",
    "visceral_vascular",
)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    why: str
    #: Specific causes this sign also points to: it counts only once a clinician has cleared the patient.
    overlaps: tuple[str, ...] = ()

    @property
    def waits_for_clinician(self) -> bool:
        return bool(self.overlaps)


@dataclass(frozen=True)
class ChecklistLevel:
    level: str
    from_count: int
    text: str


@dataclass(frozen=True)
class Checklist:
    version: str
    intro: str
    items: tuple[ChecklistItem, ...]
    levels: tuple[ChecklistLevel, ...]
    sources: tuple[str, ...]
    #: What the patient reads before a clinician has cleared them: an intro without a verdict, and the text
    #: shown instead of a level.
    intro_waiting: str = ""
    waiting: str = ""

    def intro_for(self, *, cleared: bool) -> str:
        return self.intro if cleared else self.intro_waiting


@dataclass(frozen=True)
class ChecklistSummary:
    """How many signs a patient recognised, and the level the plan rules read.

    Before clearance (``before_clearance``), the signs that also point to specific causes are in ``held``, not
    in ``count``, and ``text`` is the checklist's waiting text: no verdict.
    """

    endorsed: tuple[str, ...]
    count: int
    total: int
    level: str
    text: str
    held: tuple[str, ...] = ()
    before_clearance: bool = False


class ChecklistItemEntry(ContentModel):
    id: Id
    text: str
    why: Filled
    overlaps: list[str] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _some_text(cls, value: str) -> str:
        return _stripped(value)

    @field_validator("overlaps")
    @classmethod
    def _known_causes(cls, value: list[str]) -> list[str]:
        if any(c not in OVERLAP_CAUSES for c in value):
            raise ValueError(f"overlaps must be a list of {', '.join(OVERLAP_CAUSES)}; got {value!r}")
        return value


class ChecklistLevelEntry(ContentModel):
    level: str
    from_count: int = Field(alias="from", strict=True)
    text: Filled

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value not in CHECKLIST_LEVELS:
            raise ValueError(f"level {value!r} is not one of {', '.join(CHECKLIST_LEVELS)}")
        return value


class ChecklistFile(ContentModel):
    """``checklist.yaml``: the signs, the levels by how many are recognised, and the texts around them."""

    version: str | int | float
    intro: Filled
    items: list[ChecklistItemEntry] = Field(min_length=1)
    levels: list[ChecklistLevelEntry]
    sources: list[str]
    intro_waiting: str = ""
    waiting: str = ""

    @field_validator("items")
    @classmethod
    def _own_ids(cls, value: list[ChecklistItemEntry]) -> list[ChecklistItemEntry]:
        twice = repeated([i.id for i in value])
        if twice:
            raise ValueError(f"each item needs its own id; used twice: {', '.join(twice)}")
        return value

    @field_validator("levels")
    @classmethod
    def _levels_in_order(cls, value: list[ChecklistLevelEntry]) -> list[ChecklistLevelEntry]:
        if [lv.level for lv in value] != list(CHECKLIST_LEVELS):
            raise ValueError(f"list the levels {', '.join(CHECKLIST_LEVELS)} in that order")
        return value

    @field_validator("intro_waiting", "waiting")
    @classmethod
    def _needed_when_an_item_waits(cls, value: str, info: ValidationInfo) -> str:
        items = info.data.get("items") or []
        if any(item.overlaps for item in items) and not value.strip():
            raise ValueError("needed, because an item waits for a clinician (it has overlaps)")
        return value.strip()

    @model_validator(mode="after")
    def _counts_rise(self) -> ChecklistFile:
        starts = [lv.from_count for lv in self.levels]
        if starts[0] != 0 or starts != sorted(set(starts)) or starts[-1] > len(self.items):
            raise ValueError("level 'from' counts start at 0 and rise, up to the number of items")
        return self


def parse_checklist(document: Any, *, origin: str | Path = "checklist") -> Checklist:
    """Check the checklist document; a problem names the file, the item or level, and the field."""
    checked = validate(document, ChecklistFile, origin=origin)
    return Checklist(
        version=str(checked.version),
        intro=_stripped(checked.intro),
        items=tuple(ChecklistItem(i.id, i.text, i.why, tuple(i.overlaps)) for i in checked.items),
        levels=tuple(ChecklistLevel(lv.level, lv.from_count, lv.text) for lv in checked.levels),
        sources=tuple(checked.sources),
        intro_waiting=checked.intro_waiting,
        waiting=checked.waiting,
    )


@lru_cache
def checklist() -> Checklist:
    return parse_checklist(read_yaml(CHECKLIST_FILE), origin=CHECKLIST_FILE)


def summarise_checklist(
    answers: Mapping[str, Any], definition: Checklist | None = None, *, cleared: bool = True
) -> ChecklistSummary:
    """Count the signs answered "yes" and name the level.

    Parameters
    ----------
    answers : mapping of item id to bool
        Every item must be answered, yes (true) or no (false): "not answered" is never taken as "no".
    definition : Checklist | None
        The checklist; the clinic's file when None.
    cleared : bool
        Whether a medically qualified clinician has cleared the patient for practice. Before that, a "yes"
        to an item that also points to a specific cause (its ``overlaps``) is held, not counted, and the
        summary's text is the waiting text instead of the level's verdict (Sieper J et al. Ann Rheum Dis
        2009;68:784-8: insidious onset and alternating pain are also features of inflammatory back pain).

    Raises
    ------
    AnswerError
        An item without an answer, an item that does not exist, or an answer that is not yes or no.
    """
    chk = definition or checklist()
    known = {item.id for item in chk.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise AnswerError(f"There is no checklist item {unknown[0]!r}.", field=str(unknown[0]))
    for number, item in enumerate(chk.items, start=1):
        value = answers.get(item.id)
        if value is None:
            raise AnswerError(f"Please answer yes or no to statement {number}: {item.text}", field=item.id)
        if not isinstance(value, bool):
            raise AnswerError(f"Statement {number} is answered yes or no.", field=item.id)
    endorsed = tuple(item.id for item in chk.items if answers[item.id])
    held = () if cleared else tuple(item.id for item in chk.items if answers[item.id] and item.overlaps)
    count = len(endorsed) - len(held)
    level = [lv for lv in chk.levels if count >= lv.from_count][-1]
    return ChecklistSummary(
        endorsed=endorsed,
        count=count,
        total=len(chk.items),
        level=level.level,
        text=level.text if cleared else chk.waiting,
        held=held,
        before_clearance=not cleared,
    )


# --- somatic tracking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SomaticStep:
    title: str
    seconds: int
    text: str


@dataclass(frozen=True)
class SomaticScript:
    version: str
    title: str
    intro: str
    steps: tuple[SomaticStep, ...]
    sources: tuple[str, ...]

    @property
    def total_seconds(self) -> int:
        return sum(step.seconds for step in self.steps)


class SomaticStepEntry(ContentModel):
    title: Filled
    seconds: int = Field(ge=5, le=600, strict=True)
    text: Filled


class SomaticFile(ContentModel):
    """``somatic_tracking.yaml``: the guided somatic-tracking script."""

    version: str | int | float
    title: Filled
    intro: Filled
    steps: list[SomaticStepEntry] = Field(min_length=1)
    sources: list[str]


def parse_somatic_script(document: Any, *, origin: str | Path = "somatic tracking") -> SomaticScript:
    """Check the somatic-tracking script; a problem names the file, the step and the field."""
    checked = validate(document, SomaticFile, origin=origin)
    return SomaticScript(
        version=str(checked.version),
        title=checked.title,
        intro=_stripped(checked.intro),
        steps=tuple(SomaticStep(s.title, s.seconds, _stripped(s.text)) for s in checked.steps),
        sources=tuple(checked.sources),
    )


@lru_cache
def somatic_script() -> SomaticScript:
    return parse_somatic_script(read_yaml(SOMATIC_FILE), origin=SOMATIC_FILE)


# --- the 4-week course ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseSession:
    number: int
    week: int
    title: str
    aims: tuple[str, ...]
    lessons: tuple[str, ...]
    practice: str


@dataclass(frozen=True)
class Course:
    appointment_type: str
    sessions: tuple[CourseSession, ...]
    sources: tuple[str, ...]

    @property
    def weeks(self) -> int:
        return max(s.week for s in self.sessions)


class CourseSessionEntry(ContentModel):
    number: int = Field(strict=True)
    week: int = Field(strict=True)
    title: Filled
    aims: list[str] = Field(min_length=1)
    lessons: list[str] = Field(default_factory=list)
    practice: Filled

    @field_validator("aims")
    @classmethod
    def _aims_as_text(cls, value: list[str]) -> list[str]:
        return [_stripped(a) for a in value]

    @field_validator("lessons")
    @classmethod
    def _known_lessons(cls, value: list[str], info: ValidationInfo) -> list[str]:
        known = (info.context or {}).get("lesson_ids")
        for lesson_id in value:
            if known is not None and lesson_id not in known:
                raise ValueError(f"no lesson {lesson_id!r}")
        return value


class CourseFile(ContentModel):
    """``course.yaml``: the course's sessions in order, each with its week, aims, lessons and practice."""

    appointment_type: Id
    sessions: list[CourseSessionEntry] = Field(min_length=1)
    sources: list[str]

    @field_validator("sessions")
    @classmethod
    def _in_order(cls, value: list[CourseSessionEntry]) -> list[CourseSessionEntry]:
        if [s.number for s in value] != list(range(1, len(value) + 1)):
            raise ValueError("sessions are numbered 1, 2, 3, ... in order")
        if [s.week for s in value] != sorted(s.week for s in value) or value[0].week != 1:
            raise ValueError("session weeks start at 1 and never go back")
        return value


def parse_course(document: Any, lesson_ids: Sequence[str], *, origin: str | Path = "course") -> Course:
    """Check the course document against the lessons there are; a problem names the session and field."""
    checked = validate(document, CourseFile, origin=origin, context={"lesson_ids": list(lesson_ids)})
    return Course(
        appointment_type=checked.appointment_type,
        sessions=tuple(
            CourseSession(s.number, s.week, s.title, tuple(s.aims), tuple(s.lessons), s.practice)
            for s in checked.sessions
        ),
        sources=tuple(str(s) for s in checked.sources),
    )


@lru_cache
def course() -> Course:
    return parse_course(read_yaml(COURSE_FILE), [lesson.id for lesson in lessons()], origin=COURSE_FILE)
