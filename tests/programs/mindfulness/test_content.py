"""The guided practices and the recognition of audio recordings by their bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from painrewire.content import ContentError
from painrewire.programs.mindfulness import audio, content
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


def test_a_practice_file_with_a_step_of_no_time_names_the_file_the_step_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "stretch.yaml"
    path.write_text(
        "id: stretch\ntitle: Stretch\nsummary: s\nsteps:\n  - {seconds: 30, text: a}\n  - {seconds: 0, text: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ContentError, match=re.escape(f"{path}: step 2, field 'seconds': input should be greater")
    ):
        content._load(path)


def test_a_practice_whose_id_is_not_its_file_name_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "stretch.yaml"
    path.write_text(
        "id: breathing_pacer\ntitle: T\nsummary: s\nsteps: [{seconds: 5, text: a}]\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match=re.escape(f"{path}: field 'id': the id must be the file's name")):
        content._load(path)
