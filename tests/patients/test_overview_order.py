"""The clinician's patient overview, panel by panel, in the order of a 20-minute visit: alerts by urgency then
newest, appointments upcoming (soonest first) then past (latest first), scores newest first with the change
since the baseline, and threads waiting for an answer before the others."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AlertKind, QuestionnaireResponse, SafetyAlert
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.messages import service as messages
from painrewire.messages.schemas import ThreadCreate
from painrewire.patients.models import Patient
from painrewire.scheduling.models import Appointment

Browser = Callable[..., TestClient]


def _overview(as_user: Browser, clinician: User, patient: Patient) -> str:
    page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
    assert page.status_code == 200
    return page.text


def _in_order(page: str, *texts: str) -> bool:
    positions = [page.index(t) for t in texts]
    return positions == sorted(positions)


def _section(page: str, title: str) -> str:
    start = page.index(f"<h2>{title}")
    return page[start : page.index("</section>", start)]


def test_alerts_are_shown_most_urgent_first_then_newest_first(
    as_user: Browser, session: Session, clinician: User, patient: Patient
) -> None:
    now = utcnow()
    for urgency, summary, hours_ago in [
        ("soon", "Soon, newest", 1),
        ("urgent", "Urgent, older", 30),
        ("emergency", "Emergency, oldest", 50),
        ("urgent", "Urgent, newer", 5),
    ]:
        session.add(
            SafetyAlert(
                patient_id=patient.id,
                kind=AlertKind.RED_FLAG,
                urgency=urgency,
                summary=summary,
                raised_at=now - timedelta(hours=hours_ago),
            )
        )
    session.commit()
    panel = _section(_overview(as_user, clinician, patient), "Assessment and safety")
    assert _in_order(panel, "Emergency, oldest", "Urgent, newer", "Urgent, older", "Soon, newest")


def _response(patient: Patient, instrument: str, total: float, when: datetime) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id=instrument,
        scoring_version="1",
        completed_at=when,
        answers=[],
        total=total,
        valid=True,
    )


def test_scores_are_newest_first_with_the_change_since_the_baseline(
    as_user: Browser, session: Session, clinician: User, patient: Patient
) -> None:
    now = utcnow()
    session.add_all(
        [
            _response(patient, "phq9", 15, now - timedelta(days=60)),  # PHQ-9 baseline
            _response(patient, "gad7", 12, now - timedelta(days=50)),  # GAD-7 baseline
            _response(patient, "phq9", 10, now - timedelta(days=20)),  # PHQ-9, an earlier follow-up
            _response(patient, "gad7", 9, now - timedelta(days=2)),  # GAD-7, the newest of all
        ]
    )
    session.commit()
    panel = _section(_overview(as_user, clinician, patient), "Assessment and safety")
    phq9 = panel.index("PHQ-9")
    gad7 = panel.index("GAD-7")
    assert gad7 < phq9  # GAD-7 was answered last: it comes first, before the PHQ-9 the clinic lists first
    assert "-3 since" in panel[gad7:phq9] and "-5 since" in panel[phq9:]
    assert f"{(now - timedelta(days=50)):%d %b %Y}" in panel[gad7:phq9]  # the baseline's date


def test_appointments_are_upcoming_soonest_first_then_past_latest_first_and_the_next_is_never_cut(
    as_user: Browser, session: Session, clinician: User, patient: Patient
) -> None:
    start = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)

    def book(days: int) -> None:
        at = start + timedelta(days=days)
        session.add(
            Appointment(
                patient_id=patient.id,
                clinician_id=clinician.id,
                appointment_type="follow_up",
                starts_at=at,
                ends_at=at + timedelta(minutes=30),
                blocked_from=at,
                blocked_until=at + timedelta(minutes=30),
                timezone="UTC",
            )
        )

    for days in [*range(3, 45, 3), -10, -40, -70]:  # 14 ahead, 3 in the last 90 days
        book(days)
    session.commit()
    panel = _section(_overview(as_user, clinician, patient), "Appointments")
    day = "{:%d %b %Y}".format
    next_visit = panel.index('<p class="next-appt">')
    assert day(start + timedelta(days=3)) in panel[next_visit : panel.index("</p>", next_visit)]
    assert _in_order(panel, day(start + timedelta(days=3)), day(start + timedelta(days=6)), "Past 90 days")
    past = panel[panel.index("Past 90 days") :]
    assert _in_order(past, day(start - timedelta(days=10)), day(start - timedelta(days=40)))
    assert day(start - timedelta(days=70)) in past


def test_threads_waiting_for_an_answer_come_first_even_among_many(
    as_user: Browser, session: Session, clinician: User, patient: Patient, settings: Settings
) -> None:
    urgent = messages.start_thread(
        session,
        patient.user,
        patient.id,
        ThreadCreate(body="The pain is much worse since yesterday.", subject="Worse", urgent=True),
        settings=settings,
    )
    urgent.thread.last_message_at = utcnow() - timedelta(days=3)
    for k in range(6):
        messages.start_thread(
            session,
            patient.user,
            patient.id,
            ThreadCreate(body="A question about the exercises.", subject=f"Exercises {k}"),
            settings=settings,
        )
    session.commit()
    panel = _section(_overview(as_user, clinician, patient), "Messages")
    assert "Worse" in panel and panel.index("Worse") < panel.index("Exercises")
