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
from typing import Any

import yaml
from markdown_it import MarkdownIt

HERE = Path(__file__).parent
LESSONS_DIR = HERE / "lessons"
CHECKLIST_FILE = HERE / "checklist.yaml"
COURSE_FILE = HERE / "course.yaml"
SOMATIC_FILE = HERE / "somatic_tracking.yaml"

#: Checklist summary levels, from least to most evidence (the plan rules read these names).
CHECKLIST_LEVELS: tuple[str, ...] = ("few", "some", "many")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
# Lesson text is written by the clinic; raw HTML in it is shown as text, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
#: A sentence that says a medical check happened is true only once it has: content writes both wordings,
#: ``{{check-done}}after the check{{check-pending}}before it{{check-end}}``, and the patient sees one.
CHECK_MARKER = re.compile(
    r"\{\{check-done\}\}(?P<done>.*?)\{\{check-pending\}\}(?P<pending>.*?)\{\{check-end\}\}", re.DOTALL
)
_ANY_CHECK_MARKER = re.compile(r"\{\{check-[a-z]*\}\}")


class ContentError(ValueError):
    """A content file that cannot be used, naming the file and what is wrong."""


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


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ContentError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ContentError(f"{where}: {key!r} has the wrong kind of value ({value!r})")
    if isinstance(value, str) and not value.strip():
        raise ContentError(f"{where}: {key!r} is empty")
    return value


def resolve_check(text: str, *, cleared: bool) -> str:
    """``text`` with each check marker replaced by its wording after (``cleared``) or before the check."""
    return CHECK_MARKER.sub(lambda m: m.group("done" if cleared else "pending"), text)


def mentions_check(text: str) -> bool:
    return CHECK_MARKER.search(text) is not None


def _checked_markers(text: str, where: str) -> str:
    """Refuse a half-written check marker (one that would show its braces to a patient)."""
    for cleared in (True, False):
        if _ANY_CHECK_MARKER.search(resolve_check(text, cleared=cleared)):
            raise ContentError(
                f"{where}: a check marker must read {{{{check-done}}}}...{{{{check-pending}}}}...{{{{check-end}}}}"
            )
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


def _parse_question(raw: Any, where: str) -> QuizQuestion:
    if not isinstance(raw, Mapping):
        raise ContentError(f"{where}: each quiz question is a mapping")
    qid = _require(raw, "id", str, where)
    if not _ID.match(qid):
        raise ContentError(f"{where}: question id {qid!r} must be lower_case_with_underscores")
    where = f"{where}, question {qid}"
    options_raw = _require(raw, "options", list, where)
    options = []
    for option in options_raw:
        if not isinstance(option, Mapping):
            raise ContentError(f"{where}: each option is a mapping with text (and correct or feedback)")
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            raise ContentError(f"{where}: 'correct' is true or false")
        feedback = option.get("feedback", "")
        if not correct and not (isinstance(feedback, str) and feedback.strip()):
            raise ContentError(f"{where}: every wrong option needs feedback saying why it is not right")
        options.append(
            QuizOption(_require(option, "text", str, where).strip(), correct, str(feedback).strip())
        )
    if not 2 <= len(options) <= 6:
        raise ContentError(f"{where}: a question has 2 to 6 options, got {len(options)}")
    if sum(o.correct for o in options) != 1:
        raise ContentError(f"{where}: exactly one option must be correct")
    return QuizQuestion(
        id=qid,
        question=_require(raw, "question", str, where).strip(),
        options=tuple(options),
        explanation=_require(raw, "explanation", str, where).strip(),
    )


def parse_lesson(text: str, *, origin: str = "lesson") -> Lesson:
    """Read one lesson file: YAML front matter between ``---`` lines, then the Markdown text."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ContentError(f"{origin}: a lesson starts with YAML front matter between two '---' lines")
    try:
        meta = yaml.safe_load(match.group("meta"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{origin}: the front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, Mapping):
        raise ContentError(f"{origin}: the front matter must be a mapping")
    lesson_id = _require(meta, "id", str, origin)
    if not _ID.match(lesson_id):
        raise ContentError(f"{origin}: lesson id {lesson_id!r} must be lower_case_with_underscores")
    sources = _require(meta, "sources", list, origin)
    if not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        raise ContentError(f"{origin}: list at least one source, each as text")
    quiz = tuple(_parse_question(q, origin) for q in _require(meta, "quiz", list, origin))
    if not quiz:
        raise ContentError(f"{origin}: the quiz needs at least one question")
    if len({q.id for q in quiz}) != len(quiz):
        raise ContentError(f"{origin}: two quiz questions share an id")
    pass_mark = _require(meta, "pass_mark", int, origin)
    if not 1 <= pass_mark <= len(quiz):
        raise ContentError(f"{origin}: pass_mark must be from 1 to {len(quiz)}, got {pass_mark}")
    minutes = _require(meta, "minutes", int, origin)
    if not 1 <= minutes <= 60:
        raise ContentError(f"{origin}: minutes must be from 1 to 60")
    body = match.group("body").strip()
    if not body:
        raise ContentError(f"{origin}: the lesson has no text")
    _checked_markers(text, origin)
    return Lesson(
        id=lesson_id,
        order=_require(meta, "order", int, origin),
        title=_require(meta, "title", str, origin).strip(),
        minutes=minutes,
        summary=_require(meta, "summary", str, origin).strip(),
        sources=tuple(s.strip() for s in sources),
        pass_mark=pass_mark,
        quiz=quiz,
        body_markdown=body,
    )


@lru_cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson shipped with the program, in reading order."""
    found = [
        parse_lesson(p.read_text(encoding="utf-8"), origin=str(p)) for p in sorted(LESSONS_DIR.glob("*.md"))
    ]
    ids = [lesson.id for lesson in found]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{LESSONS_DIR}: two lessons share an id")
    orders = [lesson.order for lesson in found]
    if len(set(orders)) != len(orders):
        raise ContentError(f"{LESSONS_DIR}: two lessons share an order number")
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


def parse_checklist(document: Any, *, origin: str = "checklist") -> Checklist:
    if not isinstance(document, Mapping):
        raise ContentError(f"{origin}: the file must be a mapping")
    items = []
    for raw in _require(document, "items", list, origin):
        if not isinstance(raw, Mapping):
            raise ContentError(f"{origin}: each item is a mapping with id, text and why")
        item_id = _require(raw, "id", str, origin)
        if not _ID.match(item_id):
            raise ContentError(f"{origin}: item id {item_id!r} must be lower_case_with_underscores")
        overlaps = raw.get("overlaps", [])
        if not isinstance(overlaps, list) or any(c not in OVERLAP_CAUSES for c in overlaps):
            raise ContentError(
                f"{origin}: item {item_id!r} overlaps must be a list of {', '.join(OVERLAP_CAUSES)}; "
                f"got {overlaps!r}"
            )
        items.append(
            ChecklistItem(
                item_id,
                _require(raw, "text", str, origin).strip(),
                _require(raw, "why", str, origin),
                tuple(overlaps),
            )
        )
    if len({i.id for i in items}) != len(items) or not items:
        raise ContentError(f"{origin}: items must be non-empty with unique ids")
    levels = []
    for raw in _require(document, "levels", list, origin):
        if not isinstance(raw, Mapping):
            raise ContentError(f"{origin}: each level is a mapping with level, from and text")
        level = _require(raw, "level", str, origin)
        if level not in CHECKLIST_LEVELS:
            raise ContentError(f"{origin}: level {level!r} is not one of {', '.join(CHECKLIST_LEVELS)}")
        levels.append(
            ChecklistLevel(level, _require(raw, "from", int, origin), _require(raw, "text", str, origin))
        )
    if [lv.level for lv in levels] != list(CHECKLIST_LEVELS):
        raise ContentError(f"{origin}: list the levels {', '.join(CHECKLIST_LEVELS)} in that order")
    starts = [lv.from_count for lv in levels]
    if starts[0] != 0 or starts != sorted(set(starts)) or starts[-1] > len(items):
        raise ContentError(f"{origin}: level 'from' counts start at 0 and rise, up to the number of items")
    return Checklist(
        version=str(_require(document, "version", (str, int, float), origin)),
        intro=_require(document, "intro", str, origin).strip(),
        items=tuple(items),
        levels=tuple(levels),
        sources=tuple(str(s) for s in _require(document, "sources", list, origin)),
        intro_waiting=_waiting_text(document, "intro_waiting", items, origin),
        waiting=_waiting_text(document, "waiting", items, origin),
    )


def _waiting_text(document: Mapping[str, Any], key: str, items: Sequence[ChecklistItem], origin: str) -> str:
    """A text for patients not cleared yet; needed once any item waits for a clinician."""
    if any(item.overlaps for item in items):
        return str(_require(document, key, str, origin)).strip()
    value = document.get(key, "")
    return value.strip() if isinstance(value, str) else ""


@lru_cache
def checklist() -> Checklist:
    return parse_checklist(
        yaml.safe_load(CHECKLIST_FILE.read_text(encoding="utf-8")), origin=str(CHECKLIST_FILE)
    )


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


def parse_somatic_script(document: Any, *, origin: str = "somatic tracking") -> SomaticScript:
    if not isinstance(document, Mapping):
        raise ContentError(f"{origin}: the file must be a mapping")
    steps = []
    for raw in _require(document, "steps", list, origin):
        if not isinstance(raw, Mapping):
            raise ContentError(f"{origin}: each step is a mapping with title, seconds and text")
        seconds = _require(raw, "seconds", int, origin)
        if not 5 <= seconds <= 600:
            raise ContentError(f"{origin}: a step lasts 5 to 600 seconds, got {seconds}")
        steps.append(
            SomaticStep(
                _require(raw, "title", str, origin), seconds, _require(raw, "text", str, origin).strip()
            )
        )
    if not steps:
        raise ContentError(f"{origin}: list at least one step")
    return SomaticScript(
        version=str(_require(document, "version", (str, int, float), origin)),
        title=_require(document, "title", str, origin),
        intro=_require(document, "intro", str, origin).strip(),
        steps=tuple(steps),
        sources=tuple(str(s) for s in _require(document, "sources", list, origin)),
    )


@lru_cache
def somatic_script() -> SomaticScript:
    return parse_somatic_script(
        yaml.safe_load(SOMATIC_FILE.read_text(encoding="utf-8")), origin=str(SOMATIC_FILE)
    )


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


def parse_course(document: Any, lesson_ids: Sequence[str], *, origin: str = "course") -> Course:
    if not isinstance(document, Mapping):
        raise ContentError(f"{origin}: the file must be a mapping")
    sessions = []
    for raw in _require(document, "sessions", list, origin):
        if not isinstance(raw, Mapping):
            raise ContentError(f"{origin}: each session is a mapping")
        number = _require(raw, "number", int, origin)
        where = f"{origin}, session {number}"
        aims = _require(raw, "aims", list, where)
        if not aims or not all(isinstance(a, str) and a.strip() for a in aims):
            raise ContentError(f"{where}: list the session's aims as text")
        linked = raw.get("lessons", [])
        if not isinstance(linked, list):
            raise ContentError(f"{where}: lessons is a list of lesson ids")
        for lesson_id in linked:
            if lesson_id not in lesson_ids:
                raise ContentError(f"{where}: no lesson {lesson_id!r}")
        sessions.append(
            CourseSession(
                number=number,
                week=_require(raw, "week", int, where),
                title=_require(raw, "title", str, where),
                aims=tuple(a.strip() for a in aims),
                lessons=tuple(linked),
                practice=_require(raw, "practice", str, where),
            )
        )
    if [s.number for s in sessions] != list(range(1, len(sessions) + 1)) or not sessions:
        raise ContentError(f"{origin}: sessions are numbered 1, 2, 3, ... in order")
    if [s.week for s in sessions] != sorted(s.week for s in sessions) or sessions[0].week != 1:
        raise ContentError(f"{origin}: session weeks start at 1 and never go back")
    appointment_type = _require(document, "appointment_type", str, origin)
    if not _ID.match(appointment_type):
        raise ContentError(f"{origin}: appointment_type is a key such as prt_session")
    return Course(
        appointment_type=appointment_type,
        sessions=tuple(sessions),
        sources=tuple(str(s) for s in _require(document, "sources", list, origin)),
    )


@lru_cache
def course() -> Course:
    return parse_course(
        yaml.safe_load(COURSE_FILE.read_text(encoding="utf-8")),
        [lesson.id for lesson in lessons()],
        origin=str(COURSE_FILE),
    )
