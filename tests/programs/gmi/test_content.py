"""The GMI data files: a wrong value is refused naming the file, the entry and the field."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from painrewire.content import ContentError, read_yaml, validate
from painrewire.programs.gmi import content
from painrewire.programs.gmi.content import (
    HERE,
    ImageryFile,
    LevelsFile,
    MovementsFile,
    NormsFile,
    StagesFile,
)


def shipped(name: str) -> dict[str, Any]:
    return copy.deepcopy(read_yaml(HERE / name))


def test_the_norm_sources_keep_the_files_order_and_include_the_comparison_norms() -> None:
    keys = [s.key for s in content.norms().sources]
    assert keys[:3] == ["accuracy_target", "speed_back", "speed_hands_feet"]
    assert keys[-1] == "local_norms"


def test_an_accuracy_target_out_of_range_names_the_norm_and_field() -> None:
    doc = shipped("norms.yaml")
    doc["accuracy_target"]["value"] = 80
    with pytest.raises(
        ContentError, match=re.escape("norms.yaml: field 'accuracy_target.value': input should be")
    ):
        validate(doc, NormsFile, origin=HERE / "norms.yaml")


def test_a_level_out_of_order_or_with_an_unknown_view_is_refused() -> None:
    doc = shipped("levels.yaml")
    doc["levels"][1]["views"] = ["front", "underneath"]
    doc["levels"][2]["level"] = 7
    with pytest.raises(ContentError) as caught:
        validate(doc, LevelsFile, origin=HERE / "levels.yaml")
    assert caught.value.problems == (
        "level 'Three-quarter views', field 'views': views must be from front, back, oblique, side, above, "
        "got ['front', 'underneath']",
    )
    doc["levels"][1]["views"] = ["front"]
    with pytest.raises(
        ContentError, match=re.escape("levels.yaml: field 'levels': levels must be numbered 1, 2")
    ):
        validate(doc, LevelsFile, origin=HERE / "levels.yaml")


def test_stage_rules_and_movements_name_the_entry_and_field() -> None:
    doc = shipped("stages.yaml")
    doc["progression"]["1"]["no_left_right_flag"] = "yes"
    with pytest.raises(ContentError, match=re.escape("field 'progression.1.no_left_right_flag'")):
        validate(doc, StagesFile, origin=HERE / "stages.yaml")
    moves = shipped("movements.yaml")
    moves["ladder"][1]["id"] = "Small Turn"
    with pytest.raises(
        ContentError, match=re.escape("movements.yaml: step 'Small Turn', field 'id': an id is lower_case")
    ):
        validate(moves, MovementsFile, origin=HERE / "movements.yaml")


def test_an_imagined_movement_without_a_picture_for_it_is_refused() -> None:
    doc = shipped("imagery.yaml")
    first = doc["exercises"][0]
    first["steps"][1]["picture"]["angle"] = "enormous"
    with pytest.raises(
        ContentError,
        match=re.escape(f"imagery.yaml: exercise '{first['id']}', step 2, field 'picture': no picture for"),
    ):
        validate(doc, ImageryFile, origin=HERE / "imagery.yaml")
