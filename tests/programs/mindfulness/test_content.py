"""The guided practices and the recognition of audio recordings by their bytes."""

from __future__ import annotations

import pytest

from painrewire.programs.mindfulness import audio
from painrewire.programs.mindfulness.content import activity_title, practices
from tests.programs.mindfulness.samples import ACCEPTED, REFUSED


def test_the_four_guided_practices_have_timed_steps_and_sources() -> None:
    found = practices()
    assert list(found) == ["body_scan", "breath_focus", "loving_kindness", "noting"]
    for practice in found.values():
        assert practice.steps and all(step.seconds > 0 and step.text for step in practice.steps)
        assert practice.sources, practice.id
        assert 5 <= practice.minutes <= 20, practice.id
    assert found["body_scan"].seconds == sum(s.seconds for s in found["body_scan"].steps)


def test_the_tools_and_the_practices_have_practice_log_titles() -> None:
    assert activity_title("breathing_pacer") == "Breathing pacer"
    assert activity_title("meditation_timer") == "Meditation timer"
    assert activity_title("noting") == "Noting"
    assert activity_title("dancing") is None


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_each_accepted_format_is_recognised_by_its_first_bytes(name: str) -> None:
    data, content_type = ACCEPTED[name]
    assert audio.detect(data[: audio.SNIFF_BYTES]) == content_type


@pytest.mark.parametrize("name", list(REFUSED))
def test_other_files_are_not_taken_for_audio(name: str) -> None:
    assert audio.detect(REFUSED[name][: audio.SNIFF_BYTES]) is None
