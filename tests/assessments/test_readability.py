"""Safety text a patient reads is at reading grade 6 or below, in sentences of 20 words or fewer.

Checked with textstat's Flesch-Kincaid grade on every question, answer, heading and message of the red-flag
screen, and on the text of the pages that show them: the intake's safety questions, the safety page's
what-to-do blocks at each urgency (with and without a care team, and after a self-harm answer) and the footer
with the emergency number and crisis line. Clinician notes are not checked: they may be technical.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import pytest
import textstat
import textstat.backend.counts._count_syllables as syllable_counts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.schemas import IntakeCreate
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient

MAX_GRADE = 6.0
MAX_SENTENCE_WORDS = 20
Browser = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def offline_syllables() -> Iterator[None]:
    """Count syllables with Pyphen's hyphenation dictionary, which is installed with textstat.

    textstat first looks each word up in NLTK's CMU dictionary and downloads that on first use; without it the
    grade would depend on the network and on what a machine happens to have downloaded. Pyphen alone gives the
    same grade everywhere (it counts a few long words a syllable short, e.g. "osteoporosis").
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(syllable_counts, "get_cmudict", lambda lang: None)
        yield


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def problems(texts: dict[str, str]) -> list[str]:
    """Each text over grade 6, or with a sentence over 20 words, named with its grade or length."""
    found = []
    for where, text in texts.items():
        grade = textstat.flesch_kincaid_grade(text)
        if grade > MAX_GRADE:
            found.append(f"{where}: grade {grade:.1f}: {text}")
        for sentence in sentences(text):
            words = len(sentence.split())
            if words > MAX_SENTENCE_WORDS:
                found.append(f"{where}: {words} words: {sentence}")
    return found


def page_texts(page: str, start: str, end: str, label: str) -> dict[str, str]:
    """The text of each paragraph, list item, label and legend between two markers of a rendered page."""
    part = page[page.index(start) : page.index(end, page.index(start))]
    texts = {}
    for n, match in enumerate(re.finditer(r"<(p|li|label|legend)\b[^>]*>(.*?)</\1>", part, re.S)):
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())
        words = re.sub(r"\s+([.,;:?!])", r"\1", words)
        if words:
            texts[f"{label} {match.group(1)} {n}"] = words
    assert texts, f"nothing found in {label}"
    return texts


def test_the_checker_catches_long_and_hard_text() -> None:
    """The check itself: a plain sentence passes; a clinician's sentence and a 21-word sentence do not."""
    assert problems({"plain": "Please see a doctor today."}) == []
    assert problems(
        {"hard": "Progressive neurological deficit necessitates immediate multidisciplinary evaluation."}
    )
    assert problems({"long": " ".join(["word"] * 21) + "."})


def test_every_question_answer_heading_and_message_of_the_screen_is_plain() -> None:
    sheet = red_flags.screen()
    texts: dict[str, str] = {f"urgency {u.code}": u.patient for u in sheet.urgencies.values()}
    for family in sheet.families:
        texts[f"heading {family.id}"] = family.heading
        for question in family.questions:
            texts[f"question {question.id}"] = question.text
            for code, words in question.options():
                texts[f"answer {question.id} {code}"] = words
            for code, outcome in question.outcomes.items():
                if outcome.urgency is not None:
                    texts[f"message {question.id} {code}"] = outcome.message
    for rule in sheet.combined:
        texts[f"message {rule.id}"] = rule.message
    texts[f"message {sheet.inflammatory.id}"] = sheet.inflammatory.message
    assert len(texts) > 100
    assert problems(texts) == []


def test_the_intake_forms_safety_questions_read_plainly(as_user: Browser, patient: Patient) -> None:
    page = as_user(patient.user, browser=True).get("/patient/intake").text
    texts = page_texts(page, '<fieldset class="red-flags">', "</form>", "intake")
    assert any("Your age" in t for t in texts.values())
    assert problems(texts) == []


def _intake(**answers: str) -> IntakeCreate:
    return IntakeCreate.model_validate(
        {
            "pain_duration_weeks": 30,
            "onset": "gradual",
            "pain_location": "lower_back",
            "average_pain_last_week": 5,
            "age_years": 40,
            "red_flags": {q.id: "no" for q in red_flags.questions()} | answers,
        }
    )


@pytest.mark.parametrize(
    ("answers", "care_team", "shown"),
    [
        ({"ce_saddle": "new"}, True, "Get medical help now."),
        ({"ce_saddle": "new"}, False, "We have flagged this to the clinic."),
        ({"infection_fever": "new"}, True, "Please see a doctor today."),
        ({"ce_bladder": "longstanding"}, True, "Your pain specialist will check this"),
        ({"ce_bladder": "longstanding"}, False, "You do not have a care team yet."),
    ],
)
def test_the_safety_pages_what_to_do_blocks_read_plainly(
    as_user: Browser,
    session: Session,
    clinician: User,
    answers: dict[str, str],
    care_team: bool,
    shown: str,
) -> None:
    patient = create_patient(session, care_team=[clinician] if care_team else [])
    assessments.submit_intake(session, patient.user, patient.id, _intake(**answers))
    page = as_user(patient.user, browser=True).get("/patient/safety").text
    assert shown in page
    texts = page_texts(page, '<section class="card safety"', "</section>", "safety")
    assert problems(texts) == []


def test_the_safety_page_after_a_self_harm_answer_and_the_footer_read_plainly(
    as_user: Browser, session: Session, patient: Patient
) -> None:
    assessments.submit_response(session, patient.user, patient.id, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1])
    page = as_user(patient.user, browser=True).get("/patient/safety").text
    texts = page_texts(page, '<section class="card safety"', "</section>", "safety")
    texts |= page_texts(page, '<footer class="foot">', "</footer>", "footer")
    assert (
        "In an emergency, call 999. If you are struggling to cope, call Samaritans on 116 123 (free, day or "
        "night)."
    ) in texts.values()
    assert any("116 123" in text for where, text in texts.items() if where.startswith("safety"))
    assert problems(texts) == []
