"""The clinician dashboard: who needs attention first, and a fixed number of queries whatever the caseload."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditEvent, Role, User
from painrewire.assessments.models import AlertKind, QuestionnaireResponse, SafetyAlert
from painrewire.dashboard import service as dashboard
from painrewire.db import utcnow
from painrewire.demo import DOMAIN
from painrewire.diary import service as diary
from painrewire.diary.outcomes import DiaryPoint, current_mean, first_week_mean
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.errors import NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.scheduling.service import next_appointments
from tests.fixtures.factories import create_patient
from tests.plans.demo_clinic import demo_session

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def write_diary(
    session: Session, patient: Patient, first_week: int, last_week: int, *, today: date = TODAY
) -> None:
    """14 days: the first 7 at one pain level (the baseline), the last 7 at another (the current mean)."""
    for back in range(14):
        pain = last_week if back < 7 else first_week
        values = DiaryEntryWrite(pain_now=pain, average_pain=pain, interference=2, mood=5, sleep_quality=5)
        when = datetime.combine(today, time(12), tzinfo=UTC)
        diary.save_entry(session, patient.user, patient.id, today - timedelta(days=back), values, now=when)


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

        home = dashboard.caseload(session, clinician, today=TODAY, now=NOW)
        rows = home.shown

        assert [r.name for r in rows] == ["Alma Alert", "Wes Worse", "Ida Idle", "Stan Steady"]
        assert [[r.name for r in part] for part in (home.alerts, home.worsening, home.rows)] == [
            ["Alma Alert"],
            ["Wes Worse"],
            ["Ida Idle", "Stan Steady"],  # the table: not practising first
        ]
        assert home.not_practising == 1
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
        [row] = dashboard.caseload(session, clinician, today=TODAY, now=NOW).shown
        assert row.worsening

    def test_a_rise_below_both_thresholds_is_not_worse(self, session: Session, clinician: User) -> None:
        patient = create_patient(session, care_team=[clinician])
        write_diary(session, patient, first_week=5, last_week=6)  # +1.0 point, +20%
        [row] = dashboard.caseload(session, clinician, today=TODAY, now=NOW).shown
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
                home = dashboard.caseload(session, clinician, today=TODAY, now=NOW)
            assert home.shown
            return len(statements)

        small = queries_for(2)
        large = queries_for(20)
        assert small == large
        assert large <= 8, large


class TestPage:
    def test_clinician_home_lists_the_caseload_with_reasons(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician")
        assert page.status_code == 200
        assert patient.user.full_name in page.text
        assert "no practice logged yet" in page.text


def reference_triage(session: Session, clinician: User, *, today: date, now: datetime) -> dict[str, Any]:
    """The home's triage as the dashboard computed it before diary summaries: straight from each diary.

    Returns the names in each triage list in order, and the reasons and pain figures shown for each patient.
    """
    patients = session.scalars(access.visible_patients(clinician)).unique().all()
    appointments = next_appointments(session, [p.id for p in patients], now)
    shown: dict[int, list[tuple[Any, ...]]] = {0: [], 1: [], 2: [], 3: []}
    details = {}
    for patient in patients:
        points = [DiaryPoint(e.day, float(e.average_pain)) for e in diary.all_entries(session, patient)]
        current = current_mean(points, today=today)
        baseline = first_week_mean(points)
        if baseline is None:
            first_bpi = session.scalar(
                select(QuestionnaireResponse.answers)
                .where(
                    QuestionnaireResponse.patient_id == patient.id,
                    QuestionnaireResponse.instrument_id == "bpi",
                )
                .order_by(QuestionnaireResponse.completed_at)
                .limit(1)
            )
            baseline = float(first_bpi[2]) if first_bpi and first_bpi[2] is not None else None
        urgencies = session.scalars(
            select(SafetyAlert.urgency).where(
                SafetyAlert.patient_id == patient.id, SafetyAlert.acknowledged_at.is_(None)
            )
        ).all()
        practised = session.scalar(
            select(func.max(PracticeLog.day)).where(
                PracticeLog.patient_id == patient.id, PracticeLog.day >= today - timedelta(days=60)
            )
        )
        rise = None if current is None or baseline is None else current - baseline
        worse = (
            rise is not None and baseline is not None and (rise >= 2 - 1e-9 or rise >= 0.3 * baseline - 1e-9)
        )
        idle = practised is None or practised < today - timedelta(days=6)
        group = 0 if urgencies else 1 if worse else 2 if idle else 3
        rank = min((dashboard.URGENCY_RANK.get(u, 9) for u in urgencies), default=9)
        far = datetime.max.replace(tzinfo=UTC)
        name = patient.user.full_name
        shown[group].append((rank, -(rise or 0.0), appointments.get(patient.id) or far, name))
        details[name] = (current, baseline, worse, idle, len(urgencies))
    return {
        "lists": [[key[-1] for key in sorted(shown[g])] for g in (0, 1)],
        "rest": sorted(key[-1] for key in shown[2]) + sorted(key[-1] for key in shown[3]),
        "idle": len(shown[2]),
        "details": details,
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from demo_session(tmp_path_factory.mktemp("demo_dashboard"))


class TestDemoClinic:
    def test_every_clinician_sees_the_triage_the_diaries_give(self, demo: Session) -> None:
        now = utcnow()
        today = now.astimezone(ZoneInfo("Europe/London")).date()
        clinicians = demo.scalars(select(User).where(User.role == Role.CLINICIAN)).all()
        assert len(clinicians) == 4
        for clinician in clinicians:
            home = dashboard.caseload(demo, clinician, today=today, now=now)
            before = reference_triage(demo, clinician, today=today, now=now)
            lists = [[r.name for r in part] for part in (home.alerts, home.worsening)]
            assert lists == before["lists"]
            assert [r.name for r in home.rows] == before["rest"]
            assert home.not_practising == before["idle"]
            for row in home.shown:
                current, baseline, worse, idle, alerts = before["details"][row.name]
                assert row.current == pytest.approx(current)
                assert row.baseline == pytest.approx(baseline)
                assert (row.worsening, row.not_practising(today), row.open_alerts) == (worse, idle, alerts)
        demo.rollback()

    def test_aishas_flare_is_at_the_top_with_her_alert(self, demo: Session) -> None:
        now = utcnow()
        today = now.astimezone(ZoneInfo("Europe/London")).date()
        lead = demo.scalar(select(User).where(User.email == f"amara.okafor@{DOMAIN}"))
        assert lead is not None
        home = dashboard.caseload(demo, lead, today=today, now=now)
        [aisha] = home.alerts
        assert aisha.name == "Aisha Bello" and aisha.worsening
        assert aisha.reasons[1].startswith("worse: 7-day mean")
        assert "Maria Gonzalez" in [r.name for r in home.rows]
        demo.rollback()


ON_TRACK = ["Ann Able", "Bob Brook", "Cal Cole", "Dee Dale", "Eve East"]
#: The pages are asked for through the app, which knows only the real day.
NOW_REAL = utcnow()
TODAY_REAL = NOW_REAL.astimezone(ZoneInfo("Europe/London")).date()


@pytest.fixture
def clinic(session: Session, clinician: User, monkeypatch: pytest.MonkeyPatch) -> dict[str, Patient]:
    """One patient in each triage list and five on track, two to a page of the table."""
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    people = {
        name: create_patient(session, care_team=[clinician], full_name=name)
        for name in ["Alma Alert", "Wes Worse", "Ida Idle", *ON_TRACK]
    }
    write_diary(session, people["Wes Worse"], first_week=3, last_week=6, today=TODAY_REAL)
    for name, patient in people.items():
        if name != "Ida Idle":
            practise(session, patient, TODAY_REAL)
    session.add(
        SafetyAlert(
            patient_id=people["Alma Alert"].id, kind=AlertKind.SELF_HARM_RISK, urgency="urgent", summary="s"
        )
    )
    session.flush()
    return people


def caseload_reads(session: Session, clinician: User) -> list[uuid.UUID | None]:
    return list(
        session.scalars(
            select(AuditEvent.patient_id).where(
                AuditEvent.actor_id == clinician.id, AuditEvent.resource_type == "caseload"
            )
        )
    )


class TestPaging:
    def test_the_triage_lists_are_complete_on_every_page_and_the_rest_is_paged(
        self, session: Session, clinician: User, clinic: dict[str, Patient], other_patient: Patient
    ) -> None:
        pages = [
            dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, page=n) for n in (1, 2, 3)
        ]
        for home in pages:
            assert [[r.name for r in p] for p in (home.alerts, home.worsening)] == [
                ["Alma Alert"],
                ["Wes Worse"],
            ]
            assert (home.total, home.pages, home.not_practising) == (6, 3, 1)
        # not practising first, then by name
        rest = ["Ida Idle", *ON_TRACK]
        assert [[r.name for r in home.rows] for home in pages] == [rest[:2], rest[2:4], rest[4:]]
        with pytest.raises(NotFound, match="no page 4"):
            dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, page=4)

    def test_a_search_looks_through_the_whole_caseload_in_any_case(
        self, session: Session, clinician: User, clinic: dict[str, Patient]
    ) -> None:
        home = dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, search="  wORSE ")
        assert (home.search, [r.name for r in home.rows], home.total) == ("wORSE", ["Wes Worse"], 1)
        assert [r.name for r in home.worsening] == ["Wes Worse"]  # the triage lists stay
        home = dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, search="e", page=2)
        # "e" is in 7 names, in the triage lists or not; page 2 holds the third and fourth by name
        matching = sorted(n for n in clinic if "e" in n.lower())
        assert len(matching) == 7
        assert [r.name for r in home.rows] == matching[2:4] and home.total == len(matching)
        assert dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, search="%").total == 0
        assert dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, search="_").total == 0

    def test_the_audit_names_exactly_the_patients_on_the_page(
        self, session: Session, clinician: User, clinic: dict[str, Patient]
    ) -> None:
        dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, page=2)
        expected = {clinic[n].id for n in ["Alma Alert", "Wes Worse", "Bob Brook", "Cal Cole"]}
        reads = caseload_reads(session, clinician)
        assert sorted(map(str, reads)) == sorted(map(str, expected))

    def test_a_search_audits_the_triage_lists_and_the_matches(
        self, session: Session, clinician: User, clinic: dict[str, Patient]
    ) -> None:
        dashboard.caseload(session, clinician, today=TODAY_REAL, now=NOW_REAL, search="bob")
        expected = {clinic[n].id for n in ["Alma Alert", "Wes Worse", "Bob Brook"]}
        assert sorted(map(str, caseload_reads(session, clinician))) == sorted(map(str, expected))

    def test_the_page_links_to_its_neighbours_and_keeps_the_search(
        self, as_user: Callable[..., TestClient], clinician: User, clinic: dict[str, Patient]
    ) -> None:
        browser = as_user(clinician, browser=True)
        page = browser.get("/clinician", params={"page": 2})
        assert page.status_code == 200
        assert "Page 2 of 3" in page.text
        assert 'href="/clinician#caseload"' in page.text and 'href="/clinician?page=3#caseload"' in page.text
        assert page.text.count('<tr class="group-') == 4
        assert "Cal Cole" in page.text and "Ann Able" not in page.text and "Eve East" not in page.text
        assert "1 not practising in the last 7 days, listed first" in page.text
        found = browser.get("/clinician", params={"q": "e", "page": 2})
        assert 'href="/clinician?q=e&amp;page=3#caseload"' in found.text or "Page 2 of 2" in found.text
        assert 'href="/clinician?q=e#caseload"' in found.text

    @pytest.mark.parametrize(
        ("params", "status"),
        [
            ({"page": "0"}, 422),
            ({"page": "-3"}, 422),
            ({"page": "two"}, 422),
            ({"page": "1.5"}, 422),
            ({"page": str(10**30)}, 422),
            ({"page": "99"}, 404),
            ({"q": "x" * 101}, 422),
            ({"q": "Ann\x00"}, 422),
            ({"q": "Ann\x1b[2J"}, 422),
            ({"q": "nobody like this", "page": "2"}, 404),
        ],
    )
    def test_bad_page_or_search_input_is_refused_in_words(
        self,
        as_user: Callable[..., TestClient],
        clinician: User,
        clinic: dict[str, Patient],
        params: dict[str, str],
        status: int,
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician", params=params)
        assert page.status_code == status
        assert (
            "page" if "page" in params and status == 422 else "q" if status == 422 else "no page"
        ) in page.text

    def test_a_search_that_finds_nobody_says_so(
        self, as_user: Callable[..., TestClient], clinician: User, clinic: dict[str, Patient]
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician", params={"q": "Zed"})
        assert page.status_code == 200
        assert "No patient on your caseload has a name containing “Zed”." in page.text

    def test_a_clinician_without_patients_is_offered_to_register_one(
        self, as_user: Callable[..., TestClient], other_clinician: User
    ) -> None:
        page = as_user(other_clinician, browser=True).get("/clinician")
        assert page.status_code == 200 and "No patients on your care teams yet" in page.text
