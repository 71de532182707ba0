"""The clinician dashboard: who needs attention first, and a fixed number of queries whatever the caseload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.dashboard import service as dashboard
from painrewire.diary import service as diary
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from tests.fixtures.factories import create_patient

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def write_diary(session: Session, patient: Patient, first_week: int, last_week: int) -> None:
    """14 days: the first 7 at one pain level (the baseline), the last 7 at another (the current mean)."""
    for back in range(14):
        pain = last_week if back < 7 else first_week
        values = DiaryEntryWrite(pain_now=pain, average_pain=pain, interference=2, mood=5, sleep_quality=5)
        diary.save_entry(session, patient.user, patient.id, TODAY - timedelta(days=back), values, now=NOW)


def practise(session: Session, patient: Patient, day: date) -> None:
    session.add(
        PracticeLog(
            patient_id=patient.id,
            day=day,
            module=Module.PRT,
            activity="somatic_tracking",
            title="Somatic tracking",
            minutes=8.0,
        )
    )
    session.flush()


@contextmanager
def counting_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


class TestOrder:
    def test_alerts_then_worsening_then_not_practising_then_the_rest(
        self, session: Session, clinician: User, other_patient: Patient
    ) -> None:
        alerted = create_patient(session, care_team=[clinician], full_name="Alma Alert")
        worse = create_patient(session, care_team=[clinician], full_name="Wes Worse")
        idle = create_patient(session, care_team=[clinician], full_name="Ida Idle")
        steady = create_patient(session, care_team=[clinician], full_name="Stan Steady")
        for p in (alerted, worse, idle, steady):
            write_diary(session, p, first_week=4, last_week=6 if p is worse else 4)
        for p in (alerted, worse, steady):
            practise(session, p, TODAY - timedelta(days=1))
        session.add(
            SafetyAlert(patient_id=alerted.id, kind=AlertKind.SELF_HARM_RISK, urgency="urgent", summary="s")
        )
        session.flush()

        rows = dashboard.caseload(session, clinician, today=TODAY, now=NOW)

        assert [r.name for r in rows] == ["Alma Alert", "Wes Worse", "Ida Idle", "Stan Steady"]
        by_name = {r.name: r for r in rows}
        # Wes: baseline 4.0, last 7 days 6.0: up 2.0 points -> worsening
        assert (by_name["Wes Worse"].baseline, by_name["Wes Worse"].current) == (4.0, 6.0)
        assert by_name["Wes Worse"].reasons[0] == "worse: 7-day mean 6.0 vs baseline 4.0 (+2.0)"
        assert by_name["Ida Idle"].reasons == ["no practice logged yet"]
        assert by_name["Alma Alert"].reasons[0] == "1 open safety alert (urgent)"
        assert other_patient.id not in {r.patient_id for r in rows}

    def test_a_30_percent_rise_counts_as_worse_even_under_2_points(
        self, session: Session, clinician: User
    ) -> None:
        patient = create_patient(session, care_team=[clinician])
        write_diary(session, patient, first_week=3, last_week=4)  # +1.0 point, +33% -> worse
        [row] = dashboard.caseload(session, clinician, today=TODAY, now=NOW)
        assert row.worsening

    def test_a_rise_below_both_thresholds_is_not_worse(self, session: Session, clinician: User) -> None:
        patient = create_patient(session, care_team=[clinician])
        write_diary(session, patient, first_week=5, last_week=6)  # +1.0 point, +20%
        [row] = dashboard.caseload(session, clinician, today=TODAY, now=NOW)
        assert not row.worsening


class TestQueries:
    def test_the_number_of_queries_does_not_grow_with_the_caseload(
        self, session: Session, clinician: User
    ) -> None:
        def queries_for(n: int) -> int:
            for _ in range(n):
                patient = create_patient(session, care_team=[clinician])
                write_diary(session, patient, first_week=5, last_week=4)
                practise(session, patient, TODAY)
            session.flush()
            with counting_queries(session) as statements:
                rows = dashboard.caseload(session, clinician, today=TODAY, now=NOW)
            assert rows
            return len(statements)

        small = queries_for(2)
        large = queries_for(20)
        assert small == large
        assert large <= 8


class TestPage:
    def test_clinician_home_lists_the_caseload_with_reasons(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician")
        assert page.status_code == 200
        assert patient.user.full_name in page.text
        assert "no practice logged yet" in page.text
