"""The shared practice log: every program records practice on the patient's own day, with checked ratings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from painrewire.errors import InvalidInput
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module


def test_practice_lands_on_the_patients_local_day(session: Session, patient: Patient) -> None:
    patient.timezone = "Pacific/Auckland"  # UTC+13 in December: 20:00 UTC is already the next morning there
    log = practice_log.log_practice(
        session,
        patient,
        module=Module.PRT,
        activity="somatic_tracking",
        title="Somatic tracking",
        minutes=8,
        pain_before=6,
        pain_after=4,
        now=datetime(2026, 12, 1, 20, 0, tzinfo=UTC),
    )
    assert log.day.isoformat() == "2026-12-02"
    assert (log.pain_before, log.pain_after) == (6, 4)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("minutes", {"minutes": -1}), ("minutes", {"minutes": 2000}), ("fear_after", {"fear_after": 11})],
)
def test_out_of_range_practice_is_refused_naming_the_field(
    session: Session, patient: Patient, field: str, kwargs: dict[str, float]
) -> None:
    values: dict[str, float] = {"minutes": 5, **kwargs}
    with pytest.raises(InvalidInput) as caught:
        practice_log.log_practice(
            session, patient, module=Module.CBT, activity="thought_record", title="Thought record", **values
        )
    assert caught.value.field == field
