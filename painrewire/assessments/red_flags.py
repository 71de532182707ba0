"""The intake's red-flag screen, read from ``red_flags.yaml``: questions, answers anchored in time, urgencies.

Every question is answered ``no``, ``new`` (yes, and new or getting worse in the last few weeks) or
``longstanding`` (yes, but long-standing and unchanged). The YAML says, for each question and each answer,
whether it is a red flag and at which urgency: ``emergency`` (get help now), ``urgent`` (a same-day medical
review) or ``soon`` (the pain specialist reviews it before practice starts). Some risks only count together
(a minor fall with thin bones), and inflammatory back pain is scored from its five items by the ASAS criteria
(Sieper J et al., Ann Rheum Dis 2009;68:784-8), one of them from the patient's age minus how long they have had
the pain.

`evaluate_red_flags` turns a complete set of answers into the red flags found. A question left out, an answer
that is not one of the three codes (``true``/``false`` included), or an unknown question is refused with
`RedFlagInputError` naming it: an unanswered safety question is never taken as "no".

Pure: standard library and PyYAML only.
"""

from __future__ import annotations

import enum
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from painrewire.content import ContentModel, Text, load_yaml, repeated

RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yaml")


class RedFlagAnswer(enum.StrEnum):
    """The three answers every question takes, anchored in time."""

    NO = "no"
    #: Yes, and it is new or getting worse in the last few weeks (for a risk: and the back pain is new or worse).
    NEW = "new"
    #: Yes, but it is long-standing and unchanged.
    LONGSTANDING = "longstanding"


ANSWERS: tuple[str, ...] = tuple(a.value for a in RedFlagAnswer)
#: Most urgent first: get help now; a same-day medical review; the pain specialist reviews before practice.
URGENCIES: tuple[str, ...] = ("emergency", "urgent", "soon")
#: What an answer that is not a red flag leads to, in the YAML.
NO_FLAG = "none"
#: Keys stored beside the answers in ``Intake.red_flag_answers``: the age the screen used and where it came
#: from (``date_of_birth`` or ``intake``). No question may take these ids.
AGE_KEY = "age_years"
AGE_SOURCE_KEY = "age_source"
WEEKS_PER_YEAR = 52


class RedFlagInputError(ValueError):
    """Answers the screen cannot evaluate; ``field`` names the question (``red_flags.<id>``) or the input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Urgency:
    code: str
    #: For staff: "Same-day medical review".
    name: str
    #: The first thing the patient reads on the safety page.
    patient: str


@dataclass(frozen=True)
class Outcome:
    """What one answer to one question leads to: no flag (``urgency`` None) or a flag at an urgency."""

    urgency: str | None
    message: str = ""
    clinician: str = ""


@dataclass(frozen=True)
class RedFlagQuestion:
    id: str
    family: str
    text: str
    #: The words the patient sees for each answer code, in the order no, new, longstanding.
    labels: Mapping[str, str]
    source: str
    outcomes: Mapping[str, Outcome]

    @property
    def condition(self) -> str:
        """The family (the name stored flags use)."""
        return self.family

    def options(self) -> list[tuple[str, str]]:
        """(code, words) for each answer, in the order the form shows them."""
        return [(code, self.labels[code]) for code in ANSWERS]


@dataclass(frozen=True)
class Family:
    id: str
    #: For staff: "Cauda equina syndrome".
    name: str
    #: For the patient, above the family's questions: "Numbness, bladder, bowel and sex".
    heading: str
    questions: tuple[RedFlagQuestion, ...]


@dataclass(frozen=True)
class Combined:
    """A red flag that only counts when several answers (and perhaps age or how new the pain is) meet."""

    id: str
    family: str
    answers: Mapping[str, frozenset[str]]
    age_at_least: int | None
    pain_under_weeks: int | None
    urgency: str
    message: str
    clinician: str
    source: str

    def holds(self, answers: Mapping[str, str], age_years: int, pain_duration_weeks: int) -> bool:
        if self.age_at_least is not None and age_years < self.age_at_least:
            return False
        if self.pain_under_weeks is not None and pain_duration_weeks >= self.pain_under_weeks:
            return False
        return all(answers[qid] in codes for qid, codes in self.answers.items())


@dataclass(frozen=True)
class InflammatoryRule:
    """Inflammatory back pain by the ASAS criteria: four items asked, age at onset from age minus duration."""

    id: str
    family: str
    #: Question id -> the ASAS item it asks, in words for the clinician.
    items: Mapping[str, str]
    onset_before: int
    present_at: int
    suggested_at: int
    urgency: str
    rheumatology_onset_before: int
    rheumatology_pain_over_weeks: int
    message: str
    clinician: str
    rheumatology_note: str
    short_pain_note: str
    source: str


@dataclass(frozen=True)
class InflammatoryScore:
    """The ASAS count for one patient: which of the five items hold, and what follows."""

    onset_age: Fraction
    items: tuple[str, ...]
    rheumatology_due: bool

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class RedFlag:
    """A red flag found: what it may mean, how urgently, and what the patient is told."""

    #: The question answered, or the id of the combined rule or score that raised it.
    question_id: str
    condition: str
    urgency: str
    #: The answer code that raised it; "" for a combined rule or a score.
    answer: str
    message: str
    clinician: str
    source: str

    def as_record(self) -> dict[str, str]:
        """What is stored with the intake and the alert (a plain, JSON-ready copy)."""
        return {
            "question_id": self.question_id,
            "condition": self.condition,
            "urgency": self.urgency,
            "answer": self.answer,
            "message": self.message,
            "clinician": self.clinician,
            "source": self.source,
        }


@dataclass(frozen=True)
class RedFlagScreen:
    version: str
    urgencies: Mapping[str, Urgency]
    sources: Mapping[str, str]
    families: tuple[Family, ...]
    #: Names of families earlier versions used (stored intakes still name them).
    former_families: Mapping[str, str]
    questions: tuple[RedFlagQuestion, ...]
    combined: tuple[Combined, ...]
    inflammatory: InflammatoryRule

    @property
    def conditions(self) -> dict[str, str]:
        """Every family id a stored flag may carry -> its name for staff (this version's and earlier ones)."""
        return {**self.former_families, **{f.id: f.name for f in self.families}}

    def cite(self, codes: str) -> str:
        """The full names of the sources a question gives as ``"GIRFT-CES; CKS-LBP"``."""
        return "; ".join(self.sources[c.strip()] for c in codes.split(";"))


# --- reading the file ------------------------------------------------------------------------------------
#
# The file is read through pydantic models (`RedFlagsFile`) by the shared content loader, so a problem names
# the file, the question or rule and the field. Cross-references (sources, families, label sets, questions)
# are checked against the parts read before them, kept in the validation context in file order.


SAMPLE_FIELDS = {"age": 55, "weeks": 20, "level": "present", "count": 4, "items": "a, b", "onset_age": 39}

Count = Annotated[int, Field(ge=0, strict=True)]


def _known(info: ValidationInfo, part: str) -> Mapping[str, Any]:
    return (info.context or {}).get(part, {})


def _keep(info: ValidationInfo, part: str, value: Any) -> None:
    if info.context is not None:
        info.context[part] = value


def _template(text: str) -> str:
    """Clinician text that may name the patient's values ({age}, {weeks}...); unknown names are refused."""
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in SAMPLE_FIELDS:
            raise ValueError(f"unknown value {{{name}}}; known: {', '.join(SAMPLE_FIELDS)}")
    return text


Template = Annotated[Text, AfterValidator(_template)]


def _urgency(value: str) -> str:
    if value not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, got {value!r}")
    return value


UrgencyCode = Annotated[str, AfterValidator(_urgency)]


def _sources(codes: str, info: ValidationInfo) -> str:
    for code in codes.split(";"):
        if code.strip() not in _known(info, "sources"):
            raise ValueError(f"unknown source {code.strip()!r}")
    return codes


def _family(family: str, info: ValidationInfo) -> str:
    if family not in _known(info, "families"):
        raise ValueError(f"unknown family {family!r}")
    return family


class UrgencyEntry(ContentModel):
    name: Text
    patient: Text


class FamilyEntry(ContentModel):
    name: Text
    heading: Text


class LabelSet(ContentModel):
    """The words for each answer: exactly no, new and longstanding."""

    no: Text
    new: Text
    longstanding: Text


class Flagged(ContentModel):
    """What an answer leads to when it raises a flag."""

    urgency: UrgencyCode
    message: Text
    clinician: Template


class QuestionEntry(ContentModel):
    id: Text
    family: Text
    text: Text
    labels: LabelSet | str
    source: Text
    answers: dict[str, Flagged | None]

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in (AGE_KEY, AGE_SOURCE_KEY):
            raise ValueError("this id is reserved for the age stored beside the answers")
        return value

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str, info: ValidationInfo) -> str:
        return _family(value, info)

    @field_validator("labels")
    @classmethod
    def _known_label_set(cls, value: LabelSet | str, info: ValidationInfo) -> LabelSet | str:
        if isinstance(value, str) and value not in _known(info, "labels"):
            raise ValueError(f"unknown label set {value!r}")
        return value

    @field_validator("source")
    @classmethod
    def _known_sources(cls, value: str, info: ValidationInfo) -> str:
        return _sources(value, info)

    @field_validator("answers", mode="before")
    @classmethod
    def _none_is_no_flag(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: None if v == NO_FLAG else v for k, v in value.items()}
        return value

    @field_validator("answers")
    @classmethod
    def _every_answer_safe(cls, value: dict[str, Flagged | None]) -> dict[str, Flagged | None]:
        if set(value) != set(ANSWERS):
            raise ValueError(f"answers must say what each of {', '.join(ANSWERS)} leads to")
        if value[RedFlagAnswer.NO] is not None:
            raise ValueError("answer no: 'no' is never a red flag")
        longstanding = value[RedFlagAnswer.LONGSTANDING]
        if longstanding is not None and longstanding.urgency == "emergency":
            raise ValueError("answer longstanding: a long-standing, unchanged answer is never an emergency")
        return value

    @model_validator(mode="after")
    def _known_to_later_rules(self, info: ValidationInfo) -> QuestionEntry:
        if info.context is not None:
            info.context.setdefault("questions", {})[self.id] = self
        return self

    def question(self, sets: Mapping[str, LabelSet]) -> RedFlagQuestion:
        labels = sets[self.labels] if isinstance(self.labels, str) else self.labels
        return RedFlagQuestion(
            id=self.id,
            family=self.family,
            text=self.text,
            labels={code: getattr(labels, code) for code in ANSWERS},
            source=self.source,
            outcomes={
                code: Outcome(urgency=None)
                if (flag := self.answers[code]) is None
                else Outcome(flag.urgency, flag.message, flag.clinician)
                for code in ANSWERS
            },
        )


class When(ContentModel):
    """The conditions of a combined rule: answers that count, and perhaps an age or new pain."""

    answers: dict[str, list[str]] = Field(default_factory=dict)
    age_at_least: Count | None = None
    pain_under_weeks: Count | None = None

    @field_validator("answers")
    @classmethod
    def _known_questions(cls, value: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        for qid, codes in value.items():
            if qid not in _known(info, "questions"):
                raise ValueError(f"unknown question {qid!r}")
            if not codes or not set(codes) <= set(ANSWERS) - {"no"}:
                raise ValueError(f"{qid}: give a list of the answers that count (new, longstanding)")
        return value

    @model_validator(mode="after")
    def _answers_or_age(self) -> When:
        if not self.answers and self.age_at_least is None:
            raise ValueError("a combined rule needs answers or an age")
        return self


class CombinedEntry(ContentModel):
    id: Text
    family: Text
    when: When
    urgency: UrgencyCode
    message: Text
    clinician: Template
    source: Text

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str, info: ValidationInfo) -> str:
        return _family(value, info)

    @field_validator("source")
    @classmethod
    def _known_sources(cls, value: str, info: ValidationInfo) -> str:
        return _sources(value, info)

    def rule(self) -> Combined:
        return Combined(
            id=self.id,
            family=self.family,
            answers={str(qid): frozenset(codes) for qid, codes in self.when.answers.items()},
            age_at_least=self.when.age_at_least,
            pain_under_weeks=self.when.pain_under_weeks,
            urgency=self.urgency,
            message=self.message,
            clinician=self.clinician,
            source=self.source,
        )


class Rheumatology(ContentModel):
    onset_before: Count
    pain_over_weeks: Count


class InflammatoryEntry(ContentModel):
    """Inflammatory back pain by the ASAS criteria: the four questions scored, and when to flag or refer."""

    id: Text
    family: Text
    items: dict[str, Text]
    onset_before: Count
    present_at: Count
    suggested_at: Count
    urgency: UrgencyCode
    rheumatology: Rheumatology
    message: Text
    clinician: Template
    rheumatology_note: Template
    short_pain_note: Template
    source: Text

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str, info: ValidationInfo) -> str:
        return _family(value, info)

    @field_validator("items")
    @classmethod
    def _four_scored_questions(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        known: Mapping[str, QuestionEntry] = _known(info, "questions")
        family = info.data.get("family")
        for qid in value:
            if qid not in known:
                raise ValueError(f"unknown question {qid!r}")
            if known[qid].family != family or any(known[qid].answers.values()):
                raise ValueError(f"{qid} is scored here: it must be in {family} and flag nothing on its own")
        if len(value) != 4:
            raise ValueError("the ASAS criteria have five items: four asked and the age at onset")
        return value

    @field_validator("source")
    @classmethod
    def _known_sources(cls, value: str, info: ValidationInfo) -> str:
        return _sources(value, info)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> InflammatoryEntry:
        if not 0 < self.suggested_at <= self.present_at <= 5:
            raise ValueError("need 0 < suggested_at <= present_at <= 5")
        return self

    def rule(self) -> InflammatoryRule:
        return InflammatoryRule(
            id=self.id,
            family=self.family,
            items=self.items,
            onset_before=self.onset_before,
            present_at=self.present_at,
            suggested_at=self.suggested_at,
            urgency=self.urgency,
            rheumatology_onset_before=self.rheumatology.onset_before,
            rheumatology_pain_over_weeks=self.rheumatology.pain_over_weeks,
            message=self.message,
            clinician=self.clinician,
            rheumatology_note=self.rheumatology_note,
            short_pain_note=self.short_pain_note,
            source=self.source,
        )


class RedFlagsFile(ContentModel):
    """``red_flags.yaml``: sources, urgencies, label sets and families, then the questions and rules."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "sources": ("source",),
        "urgencies": ("urgency",),
        "labels": ("label set",),
        "families": ("family",),
        "former_families": ("former family",),
    }

    version: Text
    sources: dict[str, Text]
    urgencies: dict[str, UrgencyEntry]
    labels: dict[str, LabelSet]
    families: dict[str, FamilyEntry]
    former_families: dict[str, Text] = Field(default_factory=dict)
    questions: list[QuestionEntry]
    combined: list[CombinedEntry] = Field(default_factory=list)
    inflammatory: InflammatoryEntry

    @field_validator("sources", "labels", "families")
    @classmethod
    def _kept_for_later_parts(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        _keep(info, str(info.field_name), value)
        return value

    @field_validator("urgencies")
    @classmethod
    def _in_order(cls, value: dict[str, UrgencyEntry]) -> dict[str, UrgencyEntry]:
        if tuple(value) != URGENCIES:
            raise ValueError(f"must be {', '.join(URGENCIES)} in that order")
        return value

    @field_validator("questions")
    @classmethod
    def _own_ids(cls, value: list[QuestionEntry]) -> list[QuestionEntry]:
        if repeated([q.id for q in value]):
            raise ValueError("question ids repeat")
        return value

    @model_validator(mode="after")
    def _every_family_asked(self) -> RedFlagsFile:
        asked = {q.family for q in self.questions}
        for fid in self.families:
            if fid not in asked:
                raise ValueError(f"family {fid!r}: no question asks about it")
        return self


@lru_cache(maxsize=1)
def screen() -> RedFlagScreen:
    """The screen as defined in the YAML file, checked once."""
    checked = load_yaml(RED_FLAGS_FILE, RedFlagsFile)
    questions = [q.question(checked.labels) for q in checked.questions]
    families = [
        Family(
            id=str(fid),
            name=spec.name,
            heading=spec.heading,
            questions=tuple(q for q in questions if q.family == fid),
        )
        for fid, spec in checked.families.items()
    ]
    return RedFlagScreen(
        version=checked.version,
        urgencies={code: Urgency(code, spec.name, spec.patient) for code, spec in checked.urgencies.items()},
        sources=dict(checked.sources),
        families=tuple(families),
        former_families=dict(checked.former_families),
        questions=tuple(q for f in families for q in f.questions),
        combined=tuple(c.rule() for c in checked.combined),
        inflammatory=checked.inflammatory.rule(),
    )


def questions() -> tuple[RedFlagQuestion, ...]:
    """The questions in the order the intake form asks them (family by family)."""
    return screen().questions


def families() -> tuple[Family, ...]:
    """The families with their questions, in the order the form shows them."""
    return screen().families


VERSION: str = screen().version


def most_urgent(urgencies: list[str]) -> str:
    """The most urgent of some urgency levels (emergency before urgent before soon)."""
    return min(urgencies, key=URGENCIES.index)


# --- evaluating answers ----------------------------------------------------------------------------------


def _checked(answers: Mapping[str, object]) -> dict[str, str]:
    asked = screen().questions
    known = {q.id for q in asked}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise RedFlagInputError(f"unknown red-flag question(s): {', '.join(unknown)}", field="red_flags")
    unanswered = [q.id for q in asked if q.id not in answers]
    if unanswered:
        raise RedFlagInputError(
            f"every safety question must be answered; not answered: {', '.join(unanswered)}",
            field=f"red_flags.{unanswered[0]}",
        )
    checked: dict[str, str] = {}
    for question in asked:
        answer = answers[question.id]
        if not isinstance(answer, str) or answer not in ANSWERS:
            raise RedFlagInputError(
                f"red-flag question {question.id}: answer one of {', '.join(ANSWERS)}, got {answer!r}",
                field=f"red_flags.{question.id}",
            )
        checked[question.id] = str(answer)
    return checked


def age_on(date_of_birth: date, today: date) -> int:
    """Age in completed years on ``today`` (a birthday not yet reached this year does not count)."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - int(before_birthday)


def onset_age(age_years: int, pain_duration_weeks: int) -> Fraction:
    """The age at which this pain started: age in years minus the pain's duration (52 weeks a year)."""
    return Fraction(age_years) - Fraction(pain_duration_weeks, WEEKS_PER_YEAR)


def score_inflammatory(
    answers: Mapping[str, str], *, age_years: int, pain_duration_weeks: int
) -> InflammatoryScore:
    """The ASAS items that hold (Sieper 2009): age at onset under 40, and each asked item answered yes.

    An item answered ``new`` or ``longstanding`` counts; the time anchor does not change the count.
    """
    rule = screen().inflammatory
    started = onset_age(age_years, pain_duration_weeks)
    present = []
    if started < rule.onset_before:
        present.append(f"onset before {rule.onset_before}")
    present += [name for qid, name in rule.items.items() if answers[qid] != RedFlagAnswer.NO]
    return InflammatoryScore(
        onset_age=started,
        items=tuple(present),
        rheumatology_due=started < rule.rheumatology_onset_before
        and pain_duration_weeks > rule.rheumatology_pain_over_weeks,
    )


def _check_context(age_years: object, pain_duration_weeks: object) -> tuple[int, int]:
    if isinstance(age_years, bool) or not isinstance(age_years, int) or not 0 <= age_years <= 130:
        raise RedFlagInputError(f"age in years must be a whole number, got {age_years!r}", field="age_years")
    if (
        isinstance(pain_duration_weeks, bool)
        or not isinstance(pain_duration_weeks, int)
        or pain_duration_weeks < 0
    ):
        raise RedFlagInputError(
            f"pain duration in weeks must be a whole number, got {pain_duration_weeks!r}",
            field="pain_duration_weeks",
        )
    if onset_age(age_years, pain_duration_weeks) < 0:
        raise RedFlagInputError(
            f"How long you have had this pain ({pain_duration_weeks} weeks) is longer than your age "
            f"({age_years} years).",
            field="pain_duration_weeks",
        )
    return age_years, pain_duration_weeks


def evaluate_red_flags(
    answers: Mapping[str, object], *, age_years: int, pain_duration_weeks: int
) -> list[RedFlag]:
    """The red flags in a complete set of answers, most urgent first (in the form's order within an urgency).

    Parameters
    ----------
    answers
        Every question id mapped to ``"no"``, ``"new"`` or ``"longstanding"``.
    age_years
        The patient's age in completed years (from the date of birth, or as given at intake).
    pain_duration_weeks
        How long the patient has had this back pain, in weeks.

    Raises
    ------
    RedFlagInputError
        A question missing or unknown, an answer that is not one of the three codes (booleans included), or an
        age and duration that cannot both be true; ``field`` names the question or the value.
    """
    checked = _checked(answers)
    age, weeks = _check_context(age_years, pain_duration_weeks)
    sheet = screen()
    fields = {"age": age, "weeks": weeks}
    found: list[RedFlag] = []
    for family in sheet.families:
        for question in family.questions:
            code = checked[question.id]
            outcome = question.outcomes[code]
            if outcome.urgency is not None:
                found.append(
                    RedFlag(
                        question_id=question.id,
                        condition=family.id,
                        urgency=outcome.urgency,
                        answer=code,
                        message=outcome.message,
                        clinician=outcome.clinician.format(**fields),
                        source=sheet.cite(question.source),
                    )
                )
        for rule in sheet.combined:
            if rule.family == family.id and rule.holds(checked, age, weeks):
                found.append(
                    RedFlag(
                        question_id=rule.id,
                        condition=family.id,
                        urgency=rule.urgency,
                        answer="",
                        message=rule.message,
                        clinician=rule.clinician.format(**fields),
                        source=sheet.cite(rule.source),
                    )
                )
        if sheet.inflammatory.family == family.id:
            flag = _inflammatory_flag(checked, age, weeks)
            if flag is not None:
                found.append(flag)
    return sorted(found, key=lambda f: URGENCIES.index(f.urgency))


def _inflammatory_flag(answers: Mapping[str, str], age: int, weeks: int) -> RedFlag | None:
    rule = screen().inflammatory
    scored = score_inflammatory(answers, age_years=age, pain_duration_weeks=weeks)
    if scored.count < rule.suggested_at:
        return None
    level = "present" if scored.count >= rule.present_at else "suggested"
    fields = {
        "age": age,
        "weeks": weeks,
        "level": level,
        "count": scored.count,
        "items": ", ".join(scored.items),
        "onset_age": math.floor(scored.onset_age),
    }
    notes = [rule.clinician.format(**fields)]
    if scored.rheumatology_due:
        notes.append(rule.rheumatology_note.format(**fields))
    if weeks <= rule.rheumatology_pain_over_weeks:
        notes.append(rule.short_pain_note.format(**fields))
    return RedFlag(
        question_id=rule.id,
        condition=rule.family,
        urgency=rule.urgency,
        answer="",
        message=rule.message,
        clinician=" ".join(notes),
        source=screen().cite(rule.source),
    )


# --- reading stored answers ------------------------------------------------------------------------------


def answer_summary(version: str, stored: object) -> list[tuple[str, str]]:
    """What a stored intake's screen was answered, for staff: each question not answered "no", with the answer.

    Intakes of this version show the question and the words the patient chose, then the age the screen used.
    Earlier versions (``rf-2026.1`` answered yes/no) show the id of each question answered yes: their wording
    is not kept. A record without answers says so. Anything else stored there is shown as it is, never an error.
    """
    if not isinstance(stored, Mapping):
        return []
    rows: list[tuple[str, str]] = []
    if version == screen().version:
        if not any(question.id in stored for question in screen().questions):
            return [("Answers", "not recorded")]
        for question in screen().questions:
            code = stored.get(question.id)
            if code != RedFlagAnswer.NO and code in question.labels:
                rows.append((question.text, question.labels[str(code)]))
        if isinstance(stored.get(AGE_KEY), int):
            source = "date of birth" if stored.get(AGE_SOURCE_KEY) == "date_of_birth" else "given at intake"
            rows.append(("Age used by the screen", f"{stored[AGE_KEY]} ({source})"))
        return rows
    for key, value in stored.items():
        if value is True:
            rows.append((str(key), "yes"))
        elif value is not False and value != RedFlagAnswer.NO:
            rows.append((str(key), str(value)))
    return rows
