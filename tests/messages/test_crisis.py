"""The crisis-word screen: whole words, any case, a space or hyphen for either, an apostrophe optional."""

from __future__ import annotations

import pytest

from painrewire.config import Settings
from painrewire.messages.crisis import crisis_matches, reads_like_crisis

WORDS = Settings().crisis_words


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I want to end my life.", ["end my life"]),
        ("Some days I think about SUICIDE", ["SUICIDE"]),
        ("I don\u2019t want to be alive any more", ["don't want to be alive"]),  # a phone's curly apostrophe
        ("i dont want to live like this", ["dont want to live"]),
        ("I have thought about self harm", ["self harm"]),
        ("self-harm again last night", ["self-harm"]),
        ("I might hurt myself", ["hurt myself"]),
        ("I overdosed on my tablets", ["overdosed"]),
        ("Everyone would be better off dead without me, I want to die", ["better off dead", "want to die"]),
        ("I want   to\ndie", ["want   to\ndie"]),  # line breaks and runs of spaces inside a phrase
    ],
)
def test_phrases_found_as_the_patient_wrote_them(text: str, found: list[str]) -> None:
    assert crisis_matches(text, WORDS) == found


@pytest.mark.parametrize(
    "text",
    [
        "My back was stiff after the walk, but I kept going.",
        "I could skill myself up on the exercises",  # "kill myself" inside another word
        "The suicides in the film upset me",  # a word boundary: "suicides" is not "suicide"
        "The dosage was overdue",
        "",
    ],
)
def test_ordinary_messages_do_not_match(text: str) -> None:
    assert crisis_matches(text, WORDS) == []
    assert not reads_like_crisis(text, WORDS)


def test_the_clinic_sets_its_own_words() -> None:
    own = Settings(crisis_words=["  can't   go on "]).crisis_words
    assert own == ["can't go on"]
    assert crisis_matches("I cant go on", own) == ["cant go on"]
    assert crisis_matches("I want to end my life", own) == []
    assert crisis_matches("anything at all", []) == []


def test_a_blank_crisis_word_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="crisis_words must each hold a word or phrase"):
        Settings(crisis_words=["suicide", " - "])
