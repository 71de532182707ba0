"""Input that used to be stored or parsed into a server error is refused with a 422 that names its field.

Dates each kind of record may hold (the diary: from the date of birth or 1900 to today where the patient
lives; a date of birth: 1900 to today; treatment history: from 1900; a questionnaire's due day: from 1900 to
five years ahead; a plan's start: within a year of today; the outcome filters: 1900 to today), time-zone names of
any length or shape, and date-times without an offset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire import validation
from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.diary.models import DiaryEntry
from painrewire.errors import InvalidInput
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.schemas import PlanEdit
from tests.fixtures.factories import CSRF, create_patient
from tests.referrals.builders import stored_referral
from tests.reports.seed import seed_patient

DIARY = {"pain_now": 4, "average_pain": 4, "interference": 3, "mood": 6, "sleep_quality": 6}
LONG_ZONE = "Europe/" + "x" * 300


def names_field(response: httpx.Response, field: str) -> bool:
    """A 422 whose message names ``field`` (JSON detail or an error page)."""
    text = response.text if "text/html" in response.headers.get("content-type", "") else str(response.json())
    return response.status_code == 422 and field in text


def diary_rows(session: Session, patient: Patient) -> int:
    return int(session.scalar(select(func.count()).where(DiaryEntry.patient_id == patient.id)) or 0)


class TestDiaryDays:
    @pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "9999-12-31"])
    def test_a_day_outside_the_diary_is_refused_naming_the_day(
        self, day: str, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        api = as_user(patient.user)
        answer = api.put(f"/api/v1/patients/{patient.id}/diary/{day}", json=DIARY)
        assert names_field(answer, "day"), answer.text
        assert diary_rows(session, patient) == 0

    def test_a_day_before_the_date_of_birth_is_refused(
        self, session: Session, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        patient = create_patient(session, care_team=[clinician], date_of_birth=date(1990, 6, 1))
        session.commit()
        answer = as_user(patient.user).put(f"/api/v1/patients/{patient.id}/diary/1990-05-31", json=DIARY)
        assert names_field(answer, "day") and "date of birth (1990-06-01)" in answer.text
        born = as_user(patient.user).put(f"/api/v1/patients/{patient.id}/diary/1990-06-01", json=DIARY)
        assert born.status_code == 200

    def test_the_diary_page_refuses_such_a_day_to_show_and_to_save(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert names_field(browser.get("/patient/diary", params={"day": "0001-01-01"}), "day")
        form = {**{k: str(v) for k, v in DIARY.items()}, "day": "0001-01-01", "csrf_token": CSRF}
        assert names_field(browser.post("/patient/diary", data=form), "day")
        assert diary_rows(session, patient) == 0
        today = patient.local_today().isoformat()
        assert browser.get("/patient/diary", params={"day": today}).status_code == 200


class TestOtherDates:
    def test_a_date_of_birth_out_of_range_is_refused_everywhere_it_is_typed(
        self,
        session: Session,
        settings: Settings,
        as_user: Callable[..., TestClient],
        clinician: User,
        admin: User,
    ) -> None:
        new = {"email": "dob@example.org", "full_name": "Dee Obi", "password": "long enough pw"}
        for born in ("0001-01-01", "1899-12-31", (date.today() + timedelta(days=2)).isoformat()):
            assert names_field(
                as_user(clinician).post("/api/v1/patients", json={**new, "date_of_birth": born}),
                "date_of_birth",
            )
        referral = stored_referral(session, settings)
        session.commit()
        accept = {"email": "olu@example.org", "date_of_birth": "0001-01-01", "care_team": [str(clinician.id)]}
        answer = as_user(admin).post(f"/api/v1/referrals/{referral.id}/accept", json=accept)
        assert names_field(answer, "date_of_birth"), answer.text

    def test_a_treatment_dated_before_1900_is_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        entry = {"category": "physiotherapy", "name": "Back class", "started_on": "0001-01-01"}
        answer = as_user(patient.user).post(f"/api/v1/patients/{patient.id}/treatments", json=entry)
        assert names_field(answer, "started_on"), answer.text

    @pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31"])
    def test_a_questionnaire_due_day_must_be_from_1900_to_five_years_ahead(
        self, due: str, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        answer = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/assignments", json={"instrument_id": "peg", "due_on": due}
        )
        assert names_field(answer, "due_on"), answer.text

    def test_a_plan_start_must_be_within_a_year_of_today(self, session: Session, clinician: User) -> None:
        seeded = seed_patient(session, clinician)
        edit = PlanEdit(
            reason="Move the start",
            modules=[{"id": "prt", "sessions_per_week": 2, "weeks": 4}],  # type: ignore[list-item]
            disciplines=["pain_specialist"],  # type: ignore[list-item]
            starts_on=date(1, 1, 1),
        )
        with pytest.raises(InvalidInput) as refused:
            plans.edit(session, clinician, seeded.patient.id, edit)
        assert refused.value.field == "starts_on"

    @pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
    def test_the_outcome_filters_refuse_days_out_of_range(
        self, as_of: str, as_user: Callable[..., TestClient], clinician: User, admin: User
    ) -> None:
        for who, path in ((clinician, "/clinician/outcomes"), (admin, "/admin/outcomes")):
            browser = as_user(who, browser=True)
            assert names_field(browser.get(path, params={"as_of": as_of}), "as_of")
            assert names_field(browser.get(f"{path}/research.csv", params={"as_of": as_of}), "as_of")


class TestTimeZones:
    @pytest.mark.parametrize("zone", [LONG_ZONE, "Europe", "../../etc/passwd", "Mars/Olympus", "localtime"])
    def test_any_zone_name_is_refused_with_its_field_never_a_server_error(
        self, zone: str, client: TestClient, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        new = {
            "email": "tz@example.org",
            "full_name": "Tee Zed",
            "password": "long enough pw",
            "timezone": zone,
        }
        assert names_field(client.post("/api/v1/signup", json=new), "timezone")
        assert names_field(as_user(clinician).post("/api/v1/patients", json=new), "timezone")
        assert names_field(client.get("/book", params={"type": "initial_assessment", "tz": zone}), "tz")
        slots = client.get(
            "/api/v1/booking/slots", params={"appointment_type": "follow_up", "timezone": zone}
        )
        assert slots.status_code == 422

    def test_the_shared_check_knows_real_zones(self) -> None:
        assert validation.is_zone("Europe/London") and validation.is_zone("UTC")
        assert not validation.is_zone("x" * 300) and not validation.is_zone("Europe")
        with pytest.raises(InvalidInput, match="tz: that is not a time zone"):
            validation.check_zone("y" * 300, field="tz")


class TestInstantsWithoutAnOffset:
    @pytest.mark.parametrize("field", ["since", "until"])
    def test_the_audit_search_refuses_a_time_without_its_offset(
        self, field: str, as_user: Callable[..., TestClient], admin: User
    ) -> None:
        answer = as_user(admin).get("/api/v1/audit", params={field: "2026-01-01T00:00:00"})
        assert names_field(answer, field), answer.text
        fine = as_user(admin).get("/api/v1/audit", params={field: "2026-01-01T00:00:00+00:00"})
        assert fine.status_code == 200

    def test_the_audit_page_refuses_it_too(self, as_user: Callable[..., TestClient], admin: User) -> None:
        page = as_user(admin, browser=True).get("/admin/audit", params={"since": "2026-01-01T00:00:00"})
        assert names_field(page, "since")
