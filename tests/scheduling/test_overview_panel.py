"""The appointments a clinician sees on a patient's overview: the next one first, past ones apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.scheduling import service as scheduling
from tests.scheduling.builders import london, next_monday, open_calendar

MONDAY = next_monday()


def test_the_next_appointment_comes_first_and_past_ones_are_listed_apart(
    as_user: Callable[..., TestClient],
    session: Session,
    settings: Settings,
    clinician: User,
    patient: Patient,
) -> None:
    open_calendar(session, clinician)
    session.commit()

    def book(clock: str, day_offset: int = 0) -> None:
        scheduling.book(
            session,
            patient.user,
            settings,
            type_key="initial_assessment" if clock == "09:00" else "follow_up",
            clinician_id=clinician.id,
            starts_at=london(MONDAY + timedelta(days=day_offset), clock),
        )

    book("09:00")
    book("11:00", day_offset=1)
    book("14:00", day_offset=2)
    session.flush()
    views = scheduling.appointments_for(session, patient)
    done = views[-1].appointment  # the last of the three, moved three weeks back: it happened
    for column in ("blocked_from", "starts_at", "ends_at", "blocked_until"):
        setattr(done, column, getattr(done, column) - timedelta(days=21))
    session.commit()

    page = " ".join(as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}").text.split())
    panel = page.split("<h2>Appointments</h2>", 1)[1].split("</section>", 1)[0]
    upcoming, past = panel.split("<h3>Past 90 days</h3>", 1)
    assert '<p class="next-appt"><strong>' in upcoming
    assert upcoming.index(f"{MONDAY:%a %d %b %Y}") < upcoming.index(
        f"{MONDAY + timedelta(days=1):%a %d %b %Y}"
    )
    assert f"{(MONDAY + timedelta(days=2 - 21)):%a %d %b %Y}" in past
    assert f"{MONDAY:%a %d %b %Y}" not in past
