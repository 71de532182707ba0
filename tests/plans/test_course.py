"""The course of treatment: the start recorded at the first signature (or an earlier practice session), the end a
clinician records, and plan texts that quote trial results only while the patient resembles those studied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clearance.models import Clearance
from painrewire.db import utcnow
from painrewire.diary.outcomes import StartSource, TreatmentStart
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.plans import course as courses
from painrewire.plans import service as plans
from painrewire.plans.models import EndReason, TreatmentCourse
from painrewire.practice.models import Module, PracticeLog
from painrewire.reports import service as reports
from tests.fixtures.factories import CSRF
from tests.plans import builders

TRIAL_TEXT = "2 in 3 of them (66%) were pain-free or nearly pain-free"


def practise(session: Session, patient: Patient, day: date) -> None:
    session.add(
        PracticeLog(
            patient_id=patient.id,
            day=day,
            completed_at=datetime.combine(day, time(18), tzinfo=UTC),
            module=Module.PRT,
            activity="lesson",
            title="How the brain makes pain",
            minutes=8,
        )
    )
    session.flush()


def signed_plan(session: Session, patient: Patient, clinician: User, *, at: datetime | None = None) -> None:
    """An intake (pain for 52 weeks, average pain 6 last week) and the rules' plan, signed at ``at``."""
    builders.intake(session, patient)
    version = plans.propose(session, clinician, patient.id)
    plans.sign(session, clinician, patient.id, version.id, now=at)


class TestStart:
    def test_the_first_signature_records_the_start_and_later_signatures_do_not_move_it(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        ten_days_ago = utcnow() - timedelta(days=10)
        signed_plan(session, patient, clinician, at=ten_days_ago)
        course = session.get(TreatmentCourse, patient.id)
        assert course is not None
        assert (course.treatment_started_on, course.start_source) == (
            patient.local_today(ten_days_ago),
            StartSource.PLAN_SIGNED,
        )
        again = plans.propose(session, clinician, patient.id)
        plans.sign(session, clinician, patient.id, again.id)
        course = session.get(TreatmentCourse, patient.id)
        assert course is not None and course.treatment_started_on == patient.local_today(ten_days_ago)

    def test_a_practice_session_before_the_signature_is_the_start(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        today = patient.local_today()
        practise(session, patient, today - timedelta(days=5))
        signed_plan(session, patient, clinician)
        course = session.get(TreatmentCourse, patient.id)
        assert course is not None
        assert (course.treatment_started_on, course.start_source) == (
            today - timedelta(days=5),
            StartSource.FIRST_PRACTICE,
        )

    def test_without_a_plan_the_first_practice_is_the_start_by_the_same_rule(
        self, session: Session, patient: Patient
    ) -> None:
        assert courses.course_for(session, patient).start is None
        day = patient.local_today() - timedelta(days=3)
        practise(session, patient, day)
        view = courses.course_for(session, patient)
        assert view.start == TreatmentStart(day, StartSource.FIRST_PRACTICE)
        assert (view.course, view.end) == (None, None)  # nothing recorded, no plan: no end to count from


class TestEnd:
    def test_a_clinician_records_the_end_and_follow_ups_count_from_it(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician, at=utcnow() - timedelta(days=20))
        planned = courses.course_for(session, patient).planned_end
        assert planned is not None and planned > patient.local_today()  # the rules' plan runs several weeks
        ended_on = patient.local_today() - timedelta(days=1)
        courses.end_treatment(
            session, clinician, patient.id, ended_on=ended_on, reason=EndReason.STOPPED_EARLY, note=" Moved. "
        )
        view = courses.course_for(session, patient)
        assert (view.ended_on, view.end, view.end_recorded) == (ended_on, ended_on, True)
        assert (view.course.end_reason, view.course.end_note, view.course.ended_by_id) == (  # type: ignore[union-attr]
            EndReason.STOPPED_EARLY,
            "Moved.",
            clinician.id,
        )
        with pytest.raises(Conflict, match=f"Treatment already ended on {ended_on.isoformat()}"):
            courses.end_treatment(session, clinician, patient.id, ended_on=ended_on, reason=EndReason.OTHER)

    def test_an_end_in_the_future_or_before_the_start_is_refused_naming_the_field(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)
        today = patient.local_today()
        for day, message in (
            (today + timedelta(days=1), "is in the future"),
            (today - timedelta(days=1), f"Treatment started on {today.isoformat()}"),
        ):
            with pytest.raises(InvalidInput, match=message) as refused:
                courses.end_treatment(
                    session, clinician, patient.id, ended_on=day, reason=EndReason.COMPLETED
                )
            assert refused.value.field == "ended_on"
        assert session.get(TreatmentCourse, patient.id).ended_on is None  # type: ignore[union-attr]

    def test_only_a_care_team_clinician_ends_a_started_treatment(
        self, session: Session, patient: Patient, clinician: User, other_clinician: User
    ) -> None:
        today = patient.local_today()
        with pytest.raises(Conflict, match="Treatment has not started"):
            courses.end_treatment(session, clinician, patient.id, ended_on=today, reason=EndReason.COMPLETED)
        signed_plan(session, patient, clinician)
        with pytest.raises(NotFound):
            courses.end_treatment(
                session, other_clinician, patient.id, ended_on=today, reason=EndReason.OTHER
            )
        with pytest.raises(Forbidden):
            courses.end_treatment(session, patient.user, patient.id, ended_on=today, reason=EndReason.OTHER)

    def test_the_api_reads_and_ends_the_course(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)
        session.commit()
        api = as_user(clinician)
        url = f"/api/v1/patients/{patient.id}/treatment-course"
        before = api.get(url).json()
        assert before["ended_on"] is None and before["planned_end"] is not None
        assert before["follow_ups"]["end"] == before["planned_end"]
        bad = api.post(f"{url}/end", json={"ended_on": "2026-02-30", "reason": "completed"})
        assert bad.status_code == 422 and "ended_on" in bad.text
        assert api.post(f"{url}/end", json={"ended_on": "2020-01-01", "reason": "bored"}).status_code == 422
        today = patient.local_today()
        ended = api.post(f"{url}/end", json={"ended_on": today.isoformat(), "reason": "completed"})
        assert ended.status_code == 200, ended.text
        body = ended.json()
        assert (body["ended_on"], body["end_reason"]) == (today.isoformat(), "completed")
        assert body["follow_ups"]["month_3"] > today.isoformat()
        assert as_user(patient.user).get(url).json()["ended_on"] == today.isoformat()

    def test_the_plan_page_ends_treatment_and_the_patients_week_says_so(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)
        session.commit()
        browser = as_user(clinician, browser=True)
        page = browser.get(f"/clinician/patients/{patient.id}/plan").text
        assert "Course of treatment" in page and "Planned end" in page
        future = (patient.local_today() + timedelta(days=2)).isoformat()
        refused = browser.post(
            f"/clinician/patients/{patient.id}/plan/end",
            data={"csrf_token": CSRF, "ended_on": future, "reason": "completed"},
        )
        assert refused.status_code == 422
        assert "The end of treatment was not recorded" in refused.text and "is in the future" in refused.text
        done = browser.post(
            f"/clinician/patients/{patient.id}/plan/end",
            data={"csrf_token": CSRF, "ended_on": patient.local_today().isoformat(), "reason": "completed"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        page = browser.get(done.headers["location"]).text
        assert "The end of treatment is recorded" in page and "Treatment completed" in page
        week = as_user(patient.user, browser=True).get("/patient/today").text
        assert "Your treatment ended on" in week and "3, 6 and 12 months" in week


class TestTrialResultsInThePlan:
    def test_quoted_while_the_patient_resembles_those_studied_and_withdrawn_with_the_clearance(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)  # 52 weeks, average pain 6, cleared
        session.commit()
        browser = as_user(patient.user, browser=True)
        week = " ".join(browser.get("/patient/today").text.split())
        assert TRIAL_TEXT in week
        assert "adults who had back pain for 6 months or more" in week
        report = reports.build_report(session, patient, clinic_name="C", for_patient=True)
        assert report.plan is not None and any(TRIAL_TEXT in r for r in report.plan.reasons)

        clearance = session.scalar(select(Clearance).where(Clearance.patient_id == patient.id))
        assert clearance is not None
        clearance.withdrawn_at = utcnow()
        session.commit()
        week = " ".join(browser.get("/patient/today").text.split())
        assert TRIAL_TEXT not in week and "66%" not in week
        assert "It aims to help your brain learn that your back is safe" in week
        report = reports.build_report(session, patient, clinic_name="C", for_patient=True)
        assert report.plan is not None and not any("66%" in r for r in report.plan.reasons)
        clinician_report = reports.build_report(session, patient, clinic_name="C", for_patient=False)
        assert clinician_report.plan is not None and any(
            "PRT trial" in r for r in clinician_report.plan.reasons
        )

    def test_a_patient_who_started_at_3_of_10_gets_the_aims_without_numbers(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        builders.answer(session, patient, "peg", [3, 4, 4])  # PEG item 1: average pain 3 last week
        version = plans.propose(session, clinician, patient.id)
        plans.sign(session, clinician, patient.id, version.id)
        session.commit()
        week = " ".join(as_user(patient.user, browser=True).get("/patient/today").text.split())
        assert "It aims to help your brain learn that your back is safe" in week
        assert "66%" not in week and "pain-free" not in week
