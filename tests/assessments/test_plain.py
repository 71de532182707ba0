"""Patients read what each questionnaire measures and how to read its score, in plain words."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator

import pytest
import textstat
import textstat.backend.counts._count_syllables as syllable_counts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import plain
from painrewire.assessments import service as assessments
from painrewire.assessments.instruments import list_instruments
from painrewire.patients.models import Patient

Browser = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def offline_syllables() -> Iterator[None]:
    """Pyphen's syllable counts only, so the grade never depends on a downloaded dictionary."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(syllable_counts, "get_cmudict", lambda lang: None)
        yield


@pytest.mark.parametrize("instrument", list_instruments(), ids=lambda i: i.id)
def test_every_questionnaire_has_a_plain_line_at_reading_grade_8_or_below(instrument: object) -> None:
    line = plain.plain_line(instrument.id)  # type: ignore[attr-defined]
    assert line, "no plain-words line"
    assert textstat.flesch_kincaid_grade(line) <= 8.0, line
    assert "better" in line or "less" in line  # says which way is good


def test_the_patient_sees_the_plain_line_beside_each_score(
    as_user: Browser, session: Session, patient: Patient, clinician: User
) -> None:
    assessments.submit_response(session, clinician, patient.id, "rmdq", [1] * 19 + [0] * 5)
    session.commit()
    page = html.unescape(
        " ".join(as_user(patient.user, browser=True).get("/patient/questionnaires").text.split())
    )
    row = page.split("<strong>RMDQ</strong>", 1)[1].split("</tr>", 1)[0]
    assert "How many daily tasks your back pain makes hard" in row and "lower is better" in row
    assert "19" in row


@pytest.mark.parametrize(
    ("band", "colour"),
    [
        ("moderately severe", "danger"),
        ("extreme", "danger"),
        ("high", "danger"),
        ("moderate disability", "warn"),
        ("mild", "warn"),
        ("minimal", "ok"),
        ("low", "ok"),
        ("subclinical", "ok"),
        (None, ""),
    ],
)
def test_severity_badges_are_coloured_by_severity(band: str | None, colour: str) -> None:
    assert plain.band_severity(band) == colour


def test_the_clinician_sees_each_score_with_its_change_from_baseline(
    as_user: Browser, session: Session, patient: Patient, clinician: User
) -> None:
    first = assessments.submit_response(session, patient.user, patient.id, "phq9", [2] * 8 + [0]).response
    assert first is not None
    first.completed_at = first.completed_at.replace(year=first.completed_at.year - 1)  # a year ago
    assessments.submit_response(session, patient.user, patient.id, "phq9", [1] * 8 + [0])
    session.commit()
    page = " ".join(as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}").text.split())
    row = page.split("<td>PHQ-9</td>", 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge warn">mild</span>' in row  # 8 is mild; 16 was moderately severe
    assert f"-8 since {first.completed_at:%d %b %Y} · better" in row
    assert page.index("Add a note") < page.index("Assessment and safety")
