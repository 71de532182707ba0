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
from typing import Any

import yaml

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


def _problem(where: str, what: str) -> ValueError:
    return ValueError(f"{RED_FLAGS_FILE.name} {where}: {what}")


def _clean(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _problem(where, f"expected non-empty text, got {value!r}")
    return " ".join(value.split())


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _problem(where, f"expected a mapping, got {value!r}")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _problem(where, f"expected a whole number, got {value!r}")
    return value


def _sources(codes: str, sources: Mapping[str, str], where: str) -> str:
    for code in codes.split(";"):
        if code.strip() not in sources:
            raise _problem(where, f"unknown source {code.strip()!r}")
    return codes


SAMPLE_FIELDS = {"age": 55, "weeks": 20, "level": "present", "count": 4, "items": "a, b", "onset_age": 39}


def _template(value: Any, where: str) -> str:
    """Clinician text that may name the patient's values ({age}, {weeks}...); unknown names are refused."""
    text = _clean(value, where)
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in SAMPLE_FIELDS:
            raise _problem(where, f"unknown value {{{name}}}; known: {', '.join(SAMPLE_FIELDS)}")
    return text


def _urgency(value: Any, where: str, *, allow_none: bool) -> str | None:
    if allow_none and value == NO_FLAG:
        return None
    if value not in URGENCIES:
        allowed = ([NO_FLAG] if allow_none else []) + list(URGENCIES)
        raise _problem(where, f"urgency must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _labels(value: Any, sets: Mapping[str, Mapping[str, str]], where: str) -> dict[str, str]:
    if isinstance(value, str):
        if value not in sets:
            raise _problem(where, f"unknown label set {value!r}")
        return dict(sets[value])
    raw = _mapping(value, where)
    if set(raw) != set(ANSWERS):
        raise _problem(where, f"labels must give exactly {', '.join(ANSWERS)}")
    return {code: _clean(raw[code], f"{where} {code}") for code in ANSWERS}


def _question(
    entry: Mapping[str, Any],
    sets: Mapping[str, Mapping[str, str]],
    families: Mapping[str, Any],
    sources: Mapping[str, str],
) -> RedFlagQuestion:
    qid = _clean(entry.get("id"), "question id")
    if qid in (AGE_KEY, AGE_SOURCE_KEY):
        raise _problem(qid, "this id is reserved for the age stored beside the answers")
    family = _clean(entry.get("family"), f"{qid} family")
    if family not in families:
        raise _problem(qid, f"unknown family {family!r}")
    raw_answers = _mapping(entry.get("answers"), f"{qid} answers")
    if set(raw_answers) != set(ANSWERS):
        raise _problem(qid, f"answers must say what each of {', '.join(ANSWERS)} leads to")
    outcomes: dict[str, Outcome] = {}
    for code in ANSWERS:
        where = f"{qid} answer {code}"
        raw = raw_answers[code]
        if raw == NO_FLAG:
            outcomes[code] = Outcome(urgency=None)
            continue
        if code == RedFlagAnswer.NO:
            raise _problem(where, "'no' is never a red flag")
        spec = _mapping(raw, where)
        urgency = _urgency(spec.get("urgency"), where, allow_none=False)
        if code == RedFlagAnswer.LONGSTANDING and urgency == "emergency":
            raise _problem(where, "a long-standing, unchanged answer is never an emergency")
        outcomes[code] = Outcome(
            urgency=urgency,
            message=_clean(spec.get("message"), f"{where} message"),
            clinician=_template(spec.get("clinician"), f"{where} clinician"),
        )
    return RedFlagQuestion(
        id=qid,
        family=family,
        text=_clean(entry.get("text"), f"{qid} text"),
        labels=_labels(entry.get("labels"), sets, f"{qid} labels"),
        source=_sources(_clean(entry.get("source"), f"{qid} source"), sources, qid),
        outcomes=outcomes,
    )


def _combined(
    entry: Mapping[str, Any], known: Mapping[str, RedFlagQuestion], context: Mapping[str, Any]
) -> Combined:
    rid = _clean(entry.get("id"), "combined id")
    family = _clean(entry.get("family"), f"{rid} family")
    if family not in context["families"]:
        raise _problem(rid, f"unknown family {family!r}")
    when = _mapping(entry.get("when"), f"{rid} when")
    unknown_keys = set(when) - {"answers", "age_at_least", "pain_under_weeks"}
    if unknown_keys:
        raise _problem(rid, f"unknown condition(s) {', '.join(sorted(unknown_keys))}")
    answers: dict[str, frozenset[str]] = {}
    for qid, codes in _mapping(when.get("answers", {}), f"{rid} answers").items():
        if qid not in known:
            raise _problem(rid, f"unknown question {qid!r}")
        if not isinstance(codes, list) or not codes or not set(codes) <= set(ANSWERS) - {"no"}:
            raise _problem(rid, f"{qid}: give a list of the answers that count (new, longstanding)")
        answers[str(qid)] = frozenset(codes)
    if not answers and "age_at_least" not in when:
        raise _problem(rid, "a combined rule needs answers or an age")
    age = when.get("age_at_least")
    weeks = when.get("pain_under_weeks")
    return Combined(
        id=rid,
        family=family,
        answers=answers,
        age_at_least=None if age is None else _int(age, f"{rid} age_at_least"),
        pain_under_weeks=None if weeks is None else _int(weeks, f"{rid} pain_under_weeks"),
        urgency=str(_urgency(entry.get("urgency"), rid, allow_none=False)),
        message=_clean(entry.get("message"), f"{rid} message"),
        clinician=_template(entry.get("clinician"), f"{rid} clinician"),
        source=_sources(_clean(entry.get("source"), f"{rid} source"), context["sources"], rid),
    )


def _inflammatory(
    raw: Mapping[str, Any], known: Mapping[str, RedFlagQuestion], context: Mapping[str, Any]
) -> InflammatoryRule:
    rid = _clean(raw.get("id"), "inflammatory id")
    family = _clean(raw.get("family"), f"{rid} family")
    if family not in context["families"]:
        raise _problem(rid, f"unknown family {family!r}")
    items = {
        str(k): _clean(v, f"{rid} item {k}") for k, v in _mapping(raw.get("items"), f"{rid} items").items()
    }
    for qid in items:
        if qid not in known:
            raise _problem(rid, f"unknown question {qid!r}")
        if known[qid].family != family or any(o.urgency for o in known[qid].outcomes.values()):
            raise _problem(rid, f"{qid} is scored here: it must be in {family} and flag nothing on its own")
    if len(items) != 4:
        raise _problem(rid, "the ASAS criteria have five items: four asked and the age at onset")
    rheumatology = _mapping(raw.get("rheumatology"), f"{rid} rheumatology")
    present_at = _int(raw.get("present_at"), f"{rid} present_at")
    suggested_at = _int(raw.get("suggested_at"), f"{rid} suggested_at")
    if not 0 < suggested_at <= present_at <= 5:
        raise _problem(rid, "need 0 < suggested_at <= present_at <= 5")
    return InflammatoryRule(
        id=rid,
        family=family,
        items=items,
        onset_before=_int(raw.get("onset_before"), f"{rid} onset_before"),
        present_at=present_at,
        suggested_at=suggested_at,
        urgency=str(_urgency(raw.get("urgency"), rid, allow_none=False)),
        rheumatology_onset_before=_int(rheumatology.get("onset_before"), f"{rid} rheumatology onset_before"),
        rheumatology_pain_over_weeks=_int(
            rheumatology.get("pain_over_weeks"), f"{rid} rheumatology pain_over_weeks"
        ),
        message=_clean(raw.get("message"), f"{rid} message"),
        clinician=_template(raw.get("clinician"), f"{rid} clinician"),
        rheumatology_note=_template(raw.get("rheumatology_note"), f"{rid} rheumatology_note"),
        short_pain_note=_template(raw.get("short_pain_note"), f"{rid} short_pain_note"),
        source=_sources(_clean(raw.get("source"), f"{rid} source"), context["sources"], rid),
    )


@lru_cache(maxsize=1)
def screen() -> RedFlagScreen:
    """The screen as defined in the YAML file, checked once."""
    raw = _mapping(yaml.safe_load(RED_FLAGS_FILE.read_text(encoding="utf-8")), "top level")
    sources = {str(k): _clean(v, f"source {k}") for k, v in _mapping(raw.get("sources"), "sources").items()}
    raw_urgencies = _mapping(raw.get("urgencies"), "urgencies")
    if tuple(raw_urgencies) != URGENCIES:
        raise _problem("urgencies", f"must be {', '.join(URGENCIES)} in that order")
    urgencies = {
        code: Urgency(
            code=code,
            name=_clean(_mapping(spec, code).get("name"), f"urgency {code} name"),
            patient=_clean(_mapping(spec, code).get("patient"), f"urgency {code} patient"),
        )
        for code, spec in raw_urgencies.items()
    }
    sets = {
        str(name): _labels(words, {}, f"label set {name}")
        for name, words in _mapping(raw.get("labels"), "labels").items()
    }
    raw_families = _mapping(raw.get("families"), "families")
    context = {"families": raw_families, "sources": sources}
    questions = tuple(
        _question(_mapping(e, "question"), sets, raw_families, sources) for e in raw["questions"]
    )
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise _problem("questions", "question ids repeat")
    known = {q.id: q for q in questions}
    combined = tuple(_combined(_mapping(e, "combined"), known, context) for e in raw.get("combined") or [])
    inflammatory = _inflammatory(_mapping(raw.get("inflammatory"), "inflammatory"), known, context)
    families = []
    for fid, spec in raw_families.items():
        spec = _mapping(spec, f"family {fid}")
        members = tuple(q for q in questions if q.family == fid)
        if not members:
            raise _problem(f"family {fid}", "no question asks about it")
        families.append(
            Family(
                id=str(fid),
                name=_clean(spec.get("name"), f"family {fid} name"),
                heading=_clean(spec.get("heading"), f"family {fid} heading"),
                questions=members,
            )
        )
    ordered = tuple(q for f in families for q in f.questions)
    return RedFlagScreen(
        version=_clean(raw.get("version"), "version"),
        urgencies=urgencies,
        sources=sources,
        families=tuple(families),
        former_families={
            str(k): _clean(v, f"former family {k}")
            for k, v in _mapping(raw.get("former_families") or {}, "former_families").items()
        },
        questions=ordered,
        combined=combined,
        inflammatory=inflammatory,
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
