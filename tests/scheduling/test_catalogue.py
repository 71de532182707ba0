"""The appointment catalogue: the shipped file loads, and a bad entry is named by file, entry and field."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from painrewire.content import ContentError
from painrewire.scheduling.core.catalogue import CATALOGUE_FILE, catalogue, parse_catalogue

FILE = "scheduling/core/appointment_types.yaml"


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")))


def test_the_shipped_catalogue_has_the_prt_course_and_reminders_latest_first() -> None:
    found = catalogue()
    assert found.course.appointment_type == "prt_session"
    assert found.course.sessions == found.course.weeks * found.course.per_week
    assert list(found.reminders.before_appointment_minutes) == sorted(
        found.reminders.before_appointment_minutes, reverse=True
    )
    assert found.get("prt_session") is not None and found.get("massage") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["types"][1].update(minutes=3),
            "type 'prt_session', field 'minutes': input should be greater than or equal to 5, got 3",
        ),
        (
            lambda d: d["types"][0].update(modes=["phone"]),
            "type 'initial_assessment', field 'modes': unknown 'phone'; choose from in_person, video",
        ),
        (
            lambda d: d["types"][0].update(colour="red"),
            "type 'initial_assessment', field 'colour': is not a known field",
        ),
        (lambda d: d["booking"].pop("horizon_weeks"), "field 'booking.horizon_weeks': is missing"),
        (lambda d: d["course"].update(sessions=9), "field 'course': sessions must equal weeks × per_week"),
        (
            lambda d: d["course"].update(appointment_type="massage"),
            "course: appointment_type 'massage' is not one of the types",
        ),
        (
            lambda d: d["types"].append(dict(d["types"][0])),
            "field 'types': each appointment type is listed once; listed twice: initial_assessment",
        ),
    ],
)
def test_a_bad_catalogue_names_the_file_the_entry_and_the_field(
    document: dict[str, Any], change: Any, message: str
) -> None:
    change(document)
    with pytest.raises(ContentError, match=re.escape(f"{FILE}: {message}")):
        parse_catalogue(document)


def test_every_problem_in_the_catalogue_is_reported_at_once(document: dict[str, Any]) -> None:
    document["types"][1]["minutes"] = 3
    document["booking"]["horizon_weeks"] = 0
    with pytest.raises(ContentError) as caught:
        parse_catalogue(document)
    assert len(caught.value.problems) == 2
    assert all(line.startswith(f"{FILE}: ") for line in str(caught.value).splitlines())
