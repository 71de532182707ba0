"""The pain diary: one entry per day in the patient's own time zone, edits kept, practice filled in, access checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.diary import service as diary
from painrewire.diary.models import DiaryEntry, DiaryEntryRevision
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from tests.fixtures.factories import CSRF


def entry(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pain_now": 5,
        "average_pain": 6,
        "interference": 4,
        "mood": 6,
        "sleep_quality": 5,
        "activity_minutes": 30,
        "triggers": ["stress"],
        "note": "Long meeting.",
    }
    values.update(overrides)
    return values


class TestSaveEntry:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.put(f"/api/v1/patients/{patient.id}/diary/2026-01-05", json=entry()).status_code == 401

    def test_patient_cannot_write_another_patients_diary(
        self, as_user: Callable[..., TestClient], patient: Patient, other_patient: Patient, session: Session
    ) -> None:
        day = other_patient.local_today().isoformat()
        response = as_user(patient.user).put(f"/api/v1/patients/{other_patient.id}/diary/{day}", json=entry())
        assert response.status_code == 404
        assert session.scalar(select(func.count()).select_from(DiaryEntry)) == 0

    def test_clinician_outside_the_team_cannot_read_the_diary(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        response = as_user(other_clinician).get(
            f"/api/v1/patients/{patient.id}/diary", params={"start": "2026-01-01", "end": "2026-01-31"}
        )
        assert response.status_code == 404

    def test_today_is_saved_and_the_write_audited(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        day = patient.local_today().isoformat()
        response = as_user(patient.user).put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry())
        assert response.status_code == 200, response.text
        assert response.json()["average_pain"] == 6
        assert response.json()["revision"] == 1
        audited = session.scalar(
            select(AuditEvent).where(
                AuditEvent.patient_id == patient.id, AuditEvent.resource_type == "diary_entry"
            )
        )
        assert audited is not None and audited.action == AuditAction.UPDATE

    def test_a_second_save_changes_the_same_day_and_keeps_the_old_values(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        day = patient.local_today().isoformat()
        api = as_user(patient.user)
        api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry(average_pain=6))
        response = api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry(average_pain=3))
        assert response.json()["revision"] == 2
        assert session.scalar(select(func.count()).select_from(DiaryEntry)) == 1
        kept = session.scalar(select(DiaryEntryRevision))
        assert kept is not None and kept.values["average_pain"] == 6 and kept.same_day is True

    def test_a_later_edit_of_an_earlier_day_is_allowed_and_marked(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        day = (patient.local_today() - timedelta(days=3)).isoformat()
        api = as_user(patient.user)
        api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry())
        assert api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry(mood=2)).status_code == 200
        kept = session.scalar(select(DiaryEntryRevision))
        assert kept is not None and kept.same_day is False

    def test_future_days_are_refused(self, as_user: Callable[..., TestClient], patient: Patient) -> None:
        day = (patient.local_today() + timedelta(days=1)).isoformat()
        response = as_user(patient.user).put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry())
        assert response.status_code == 422
        assert "future" in response.json()["detail"]

    def test_out_of_range_values_and_unknown_triggers_are_refused_by_name(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        day = patient.local_today().isoformat()
        api = as_user(patient.user)
        bad = api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry(average_pain=12))
        assert bad.status_code == 422 and any(m.startswith("average_pain:") for m in bad.json()["detail"])
        bad = api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry(triggers=["aliens"]))
        assert bad.status_code == 422 and "aliens" in " ".join(bad.json()["detail"])


class TestLocalDay:
    def test_the_diary_day_is_the_patients_day_not_the_servers(
        self, session: Session, patient: Patient
    ) -> None:
        patient.timezone = "America/Los_Angeles"
        late_evening_in_la = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)  # 21:30 on 2 March in Los Angeles
        assert patient.local_today(late_evening_in_la) == date(2026, 3, 2)
        patient.timezone = "Asia/Tokyo"
        assert patient.local_today(late_evening_in_la) == date(2026, 3, 3)

    def test_missing_today_turns_false_once_filled(self, session: Session, patient: Patient) -> None:
        assert diary.missing_today(session, patient) is True
        diary.save_entry(session, patient.user, patient.id, patient.local_today(), DiaryEntryWrite(**entry()))
        assert diary.missing_today(session, patient) is False


class TestReadRange:
    def test_practice_logged_by_programs_appears_on_its_day(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        today = patient.local_today()
        diary.save_entry(session, patient.user, patient.id, today, DiaryEntryWrite(**entry()))
        session.add(
            PracticeLog(
                patient_id=patient.id,
                day=today,
                module=Module.MINDFULNESS,
                activity="body_scan",
                title="Body scan",
                minutes=12.0,
            )
        )
        session.flush()
        response = as_user(clinician).get(
            f"/api/v1/patients/{patient.id}/diary",
            params={"start": today.isoformat(), "end": today.isoformat()},
        )
        assert response.status_code == 200
        [day] = response.json()
        assert day["practice"] == [
            {"module": "mindfulness", "activity": "body_scan", "title": "Body scan", "minutes": 12.0}
        ]

    def test_reversed_or_huge_ranges_are_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        api = as_user(patient.user)
        reversed_range = api.get(
            f"/api/v1/patients/{patient.id}/diary", params={"start": "2026-02-01", "end": "2026-01-01"}
        )
        assert reversed_range.status_code == 422
        huge = api.get(
            f"/api/v1/patients/{patient.id}/diary", params={"start": "2020-01-01", "end": "2026-01-01"}
        )
        assert huge.status_code == 422


class TestDiaryPage:
    def test_patient_fills_today_from_the_phone_form(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/diary")
        assert page.status_code == 200 and "Average pain over the last 24 hours" in page.text
        response = browser.post(
            "/patient/diary",
            data={
                "csrf_token": CSRF,
                "average_pain": "4",
                "pain_now": "3",
                "interference": "2",
                "mood": "7",
                "sleep_quality": "6",
                "triggers": ["stress", "poor_sleep"],
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        saved = session.scalar(select(DiaryEntry))
        assert saved is not None and saved.triggers == ["stress", "poor_sleep"] and saved.average_pain == 4

    def test_missing_field_shows_the_form_again_with_the_reason(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            "/patient/diary", data={"csrf_token": CSRF, "average_pain": "4"}
        )
        assert response.status_code == 422
        assert "pain_now:" in response.text

    def test_home_page_reminds_when_today_is_missing(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert "You have not filled in today's diary yet" in browser.get("/patient").text
        diary.save_entry(session, patient.user, patient.id, patient.local_today(), DiaryEntryWrite(**entry()))
        session.commit()
        assert "Done for today" in browser.get("/patient").text


class TestProgressOnPages:
    @staticmethod
    def start_treatment(session: Session, patient: Patient, day: date) -> None:
        """A first practice session on ``day``: treatment starts then, and the baseline is the week before."""
        session.add(
            PracticeLog(
                patient_id=patient.id,
                day=day,
                module=Module.PRT,
                activity="somatic_tracking",
                title="Somatic tracking",
                minutes=10,
            )
        )

    def fill_fortnight(self, session: Session, patient: Patient) -> None:
        """First week average pain 6, then treatment starts and the second week is 2: baseline 6.0 (the week
        before the start), last 7 days 2.0, change -4.00 (-66.7%)."""
        today = patient.local_today()
        for back in range(14):
            pain = 2 if back < 7 else 6
            data = DiaryEntryWrite(**entry(average_pain=pain, pain_now=pain))
            diary.save_entry(session, patient.user, patient.id, today - timedelta(days=back), data)
        self.start_treatment(session, patient, today - timedelta(days=6))
        session.commit()

    def test_patient_sees_change_from_baseline_and_the_chart(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        self.fill_fortnight(session, patient)
        page = as_user(patient.user, browser=True).get("/patient/diary").text
        assert "6.0 / 10" in page and "2.0 / 10" in page
        assert "-4.00 points" in page and "(-66.7%)" in page
        assert "50% and 2 points less pain" in page
        assert "<svg" in page and "Average pain and its 7-day mean" in page

    def test_clinician_overview_shows_the_same_outcome(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        self.fill_fortnight(session, patient)
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}").text
        assert "Pain diary and outcome" in page and "-4.00 points" in page

    def test_short_diary_says_what_is_missing(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert "Treatment has not started yet" in browser.get("/patient/diary").text
        self.start_treatment(session, patient, patient.local_today())
        session.commit()
        assert "no baseline" in browser.get("/patient/diary").text


class TestHistory:
    def test_every_change_of_a_day_is_kept_with_who_and_when_and_the_writes_are_audited(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        today = patient.local_today()
        earlier = (today - timedelta(days=2)).isoformat()
        api = as_user(patient.user)
        api.put(f"/api/v1/patients/{patient.id}/diary/{today.isoformat()}", json=entry(average_pain=6))
        api.put(f"/api/v1/patients/{patient.id}/diary/{today.isoformat()}", json=entry(average_pain=5))
        api.put(f"/api/v1/patients/{patient.id}/diary/{earlier}", json=entry(average_pain=7))
        api.put(f"/api/v1/patients/{patient.id}/diary/{earlier}", json=entry(average_pain=4))
        history = as_user(clinician).get(f"/api/v1/patients/{patient.id}/diary/{earlier}/revisions")
        assert history.status_code == 200
        body = history.json()
        assert body["entry"]["average_pain"] == 4 and body["entry"]["revision"] == 2
        assert [(r["values"]["average_pain"], r["same_day"]) for r in body["revisions"]] == [(7, False)]
        assert body["revisions"][0]["replaced_by_id"] == str(patient.user_id)
        same_day = api.get(f"/api/v1/patients/{patient.id}/diary/{today.isoformat()}/revisions").json()
        assert [(r["values"]["average_pain"], r["same_day"]) for r in same_day["revisions"]] == [(6, True)]
        writes = session.scalars(
            select(AuditEvent.resource_id).where(
                AuditEvent.action == AuditAction.UPDATE, AuditEvent.resource_type == "diary_entry"
            )
        ).all()
        assert sorted(writes) == sorted([today.isoformat()] * 2 + [earlier] * 2)

    def test_outsiders_cannot_read_a_days_history(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        day = patient.local_today().isoformat()
        as_user(patient.user).put(f"/api/v1/patients/{patient.id}/diary/{day}", json=entry())
        response = as_user(other_clinician).get(f"/api/v1/patients/{patient.id}/diary/{day}/revisions")
        assert response.status_code == 404
        assert "Long meeting" not in response.text

    def test_a_day_without_an_entry_is_404(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user).get(f"/api/v1/patients/{patient.id}/diary/2020-01-01/revisions")
        assert response.status_code == 404
