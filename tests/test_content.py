"""The shared content loader: every problem names the file, the entry and the field in plain words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import Field

from painrewire.content import ContentError, ContentModel, load_yaml, validate
from painrewire.diary.schemas import TRIGGERS_FILE, TriggersFile
from painrewire.programs.cbt.content import DistortionsFile


class Option(ContentModel):
    value: int = Field(ge=0, le=5)
    text: str


class Item(ContentModel):
    id: str | None = None
    options: list[Option]


class Form(ContentModel):
    items: list[Item]
    labels: dict[str, str] = Field(default_factory=dict)


def test_a_list_entry_is_named_by_its_number_and_the_field_by_its_key() -> None:
    doc = {"items": [{"options": []}, {"options": []}, {"options": "yes"}]}
    with pytest.raises(ContentError) as caught:
        validate(doc, Form, origin="forms/odi.yaml")
    assert str(caught.value) == "forms/odi.yaml: item 3, field 'options': a list is needed here, got 'yes'"


def test_an_entry_with_an_id_is_named_by_it_and_nested_entries_by_their_number() -> None:
    doc = {"items": [{"id": "q1", "options": [{"value": 0, "text": "a"}, {"value": 9, "text": "b"}]}]}
    with pytest.raises(
        ContentError, match=re.escape("form.yaml: item 'q1', option 2, field 'value': input should")
    ):
        validate(doc, Form, origin="form.yaml")


def test_a_mapping_entry_is_named_by_its_key_and_an_unknown_key_is_refused() -> None:
    with pytest.raises(ContentError) as caught:
        validate({"items": [], "labels": {"low": 3}, "colour": "red"}, Form, origin="form.yaml")
    assert caught.value.problems == (
        "label 'low': input should be a valid string, got 3",
        "field 'colour': is not a known field (check its spelling)",
    )


def test_a_file_that_is_not_yaml_or_missing_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(f"{path}: not valid YAML")):
        load_yaml(path, Form)
    with pytest.raises(ContentError, match=re.escape(f"{tmp_path / 'gone.yaml'}: cannot be read")):
        load_yaml(tmp_path / "gone.yaml", Form)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("items: [caf\xe9]".encode("latin-1"))
    with pytest.raises(ContentError, match=re.escape(f"{latin}: cannot be read: it is not UTF-8 text")):
        load_yaml(latin, Form)


def test_a_shipped_file_is_named_from_the_package_folder() -> None:
    with pytest.raises(ContentError, match=re.escape("diary/triggers.yaml: field 'triggers': is missing")):
        validate({}, TriggersFile, origin=TRIGGERS_FILE)


def test_a_trigger_or_thinking_trap_listed_twice_is_refused() -> None:
    twice = {"triggers": [{"id": "stress", "label": "Stress"}, {"id": "stress", "label": "Worry"}]}
    with pytest.raises(
        ContentError,
        match=re.escape("diary/triggers.yaml: every trigger needs its own id; used twice: stress"),
    ):
        validate(twice, TriggersFile, origin=TRIGGERS_FILE)
    trap = {"id": "labelling", "label": "L", "explanation": "e", "example": "x"}
    with pytest.raises(
        ContentError, match=re.escape("distortions.yaml: every thinking trap needs its own id")
    ):
        validate({"distortions": [trap, trap]}, DistortionsFile, origin="programs/cbt/distortions.yaml")
    with pytest.raises(ContentError, match=re.escape("distortion 'labelling', field 'example': is missing")):
        validate(
            {"distortions": [{"id": "labelling", "label": "L", "explanation": "e"}]},
            DistortionsFile,
            origin="x",
        )


def test_the_intake_words_name_an_unknown_onset_and_a_bad_duration_unit() -> None:
    from painrewire.assessments.schemas import IntakeWords

    doc = {"onsets": {"injury": "a", "fall": "b"}, "locations": {}, "duration_units": {"months": "52/0"}}
    with pytest.raises(ContentError) as caught:
        validate(doc, IntakeWords, origin="assessments/intake.yaml")
    assert caught.value.problems == (
        "onset 'fall': input should be 'injury', 'gradual', 'stress' or 'unknown', got 'fall'",
        "duration unit 'months': weeks per unit must be a number or a fraction such as 52/12, got '52/0'",
    )
