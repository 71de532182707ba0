"""The diary summary the clinician home reads is written with every diary change and always equals the diary."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, delete, insert, select
from sqlalchemy.orm import Session

from painrewire import migrate
from painrewire.accounts.models import Role, User
from painrewire.db import get_engine, session_factory
from painrewire.diary import service as diary
from painrewire.diary.models import DiaryEntry, DiarySummary, PainBaseline
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.interop import erasure
from painrewire.patients.models import Patient
from tests.conftest import drop_database, new_empty_database
from tests.fixtures.factories import create_patient

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SUMMARY_COLUMNS = ("last_day", "recent_pain", "mean_day_0", "mean_day_1", "mean_day_2", "mean_day_3")


def save(session: Session, patient: Patient, back: int, pain: int) -> None:
    """The patient's entry ``back`` days before TODAY, through the diary service."""
    values = DiaryEntryWrite(pain_now=pain, average_pain=pain, interference=2, mood=5, sleep_quality=5)
    diary.save_entry(session, patient.user, patient.id, TODAY - timedelta(days=back), values, now=NOW)


def stored(session: Session, patient: Patient) -> dict[str, Any] | None:
    """The summary row as the database holds it."""
    row = session.execute(
        select(*(getattr(DiarySummary, c) for c in SUMMARY_COLUMNS)).where(
            DiarySummary.patient_id == patient.id
        )
    ).one_or_none()
    return None if row is None else dict(zip(SUMMARY_COLUMNS, row, strict=True))


def pain_list(**days: int) -> list[int | None]:
    """``recent_pain`` with the given ``d<back>=pain`` days filled in."""
    values: list[int | None] = [None] * 14
    for key, pain in days.items():
        values[int(key.removeprefix("d"))] = pain
    return values


class TestCreate:
    def test_the_first_entry_starts_the_summary(self, session: Session, patient: Patient) -> None:
        save(session, patient, 0, 6)
        assert stored(session, patient) == {
            "last_day": TODAY,
            "recent_pain": pain_list(d0=6),
            "mean_day_0": None,
            "mean_day_1": None,
            "mean_day_2": None,
            "mean_day_3": None,
        }

    def test_the_fourth_day_of_the_week_gives_the_mean(self, session: Session, patient: Patient) -> None:
        for back, pain in ((0, 6), (1, 4), (3, 5)):
            save(session, patient, back, pain)
        summary = stored(session, patient)
        assert summary is not None and summary["mean_day_0"] is None  # 3 of 7 days
        save(session, patient, 6, 3)  # Nov 14: the window's first day
        summary = stored(session, patient)
        assert summary is not None
        assert summary["recent_pain"] == pain_list(d0=6, d1=4, d3=5, d6=3)
        # Nov 20: (6 + 4 + 5 + 3) / 4 = 4.5; Nov 21 onwards: Nov 14 drops out, 3 entries, no mean
        assert summary["mean_day_0"] == pytest.approx(4.5)
        assert (summary["mean_day_1"], summary["mean_day_2"], summary["mean_day_3"]) == (None, None, None)

    def test_a_week_keeps_a_mean_three_days_past_its_last_entry(
        self, session: Session, patient: Patient
    ) -> None:
        for back in range(7):  # Nov 14 .. Nov 20 at 1 .. 7
            save(session, patient, back, 7 - back)
        summary = stored(session, patient)
        assert summary is not None
        means = [summary[f"mean_day_{k}"] for k in range(4)]
        # 1..7 = 4.0; 2..7 = 4.5; 3..7 = 5.0; 4..7 = 5.5
        assert means == [pytest.approx(4.0), pytest.approx(4.5), pytest.approx(5.0), pytest.approx(5.5)]

    def test_a_late_entry_for_an_earlier_day_keeps_the_last_day(
        self, session: Session, patient: Patient
    ) -> None:
        for back, pain in ((0, 8), (1, 8), (2, 8)):
            save(session, patient, back, pain)
        save(session, patient, 5, 2)
        summary = stored(session, patient)
        assert summary is not None
        assert summary["last_day"] == TODAY
        assert summary["mean_day_0"] == pytest.approx((8 + 8 + 8 + 2) / 4)  # 6.5

    def test_the_api_save_writes_the_summary_in_the_same_request(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient
    ) -> None:
        day = diary.local_today(patient)
        body = {"pain_now": 5, "average_pain": 7, "interference": 3, "mood": 5, "sleep_quality": 5}
        response = as_user(patient.user).put(
            f"/api/v1/patients/{patient.id}/diary/{day.isoformat()}", json=body
        )
        assert response.status_code == 200, response.text
        summary = stored(session, patient)
        assert summary is not None and (summary["last_day"], summary["recent_pain"][0]) == (day, 7)


class TestUpdate:
    def test_changing_a_day_changes_the_mean(self, session: Session, patient: Patient) -> None:
        for back in range(7):
            save(session, patient, back, 4)
        save(session, patient, 0, 10)  # a second save of today replaces 4 with 10
        summary = stored(session, patient)
        assert summary is not None
        assert summary["recent_pain"][:7] == [10, 4, 4, 4, 4, 4, 4]
        assert summary["mean_day_0"] == pytest.approx(34 / 7)
        # Nov 21: Nov 15-20 = 10 + 5 x 4 = 30 / 6 = 5.0
        assert summary["mean_day_1"] == pytest.approx(5.0)


class TestDelete:
    def delete_day(self, session: Session, patient: Patient, back: int) -> None:
        day = TODAY - timedelta(days=back)
        session.execute(delete(DiaryEntry).where(DiaryEntry.patient_id == patient.id, DiaryEntry.day == day))
        diary.refresh_trends(session, patient.id)

    def test_deleting_the_last_entry_moves_the_summary_back_a_day(
        self, session: Session, patient: Patient
    ) -> None:
        for back, pain in ((0, 9), (1, 2), (2, 3), (3, 4), (4, 5)):
            save(session, patient, back, pain)
        self.delete_day(session, patient, 0)
        summary = stored(session, patient)
        assert summary is not None
        assert summary["last_day"] == TODAY - timedelta(days=1)
        assert summary["recent_pain"] == pain_list(d0=2, d1=3, d2=4, d3=5)
        # (2 + 3 + 4 + 5) / 4 = 3.5, in every window from Nov 19 to Nov 22 (the last that holds Nov 16)
        assert [summary[f"mean_day_{k}"] for k in range(4)] == [3.5, 3.5, 3.5, 3.5]
        save(session, patient, 4, 10)  # Nov 16: 5 becomes 10
        summary = stored(session, patient)
        assert summary is not None and summary["mean_day_3"] == pytest.approx(4.75)

    def test_deleting_every_entry_removes_the_summary_and_the_baseline(
        self, session: Session, patient: Patient
    ) -> None:
        for back in range(8):
            save(session, patient, back, 5)
        assert session.get(PainBaseline, patient.id) is not None
        for back in range(8):
            self.delete_day(session, patient, back)
        assert stored(session, patient) is None
        assert session.get(PainBaseline, patient.id) is None


def test_erasure_leaves_no_summary(session: Session, clinician: User) -> None:
    patient = create_patient(session, care_team=[clinician])
    kept = create_patient(session, care_team=[clinician])
    for back in range(5):
        save(session, patient, back, 6)
        save(session, kept, back, 3)
    erasure.erase(session, patient)
    assert stored(session, patient) is None
    assert session.get(PainBaseline, patient.id) is None
    summary = stored(session, kept)
    assert summary is not None and summary["mean_day_0"] == pytest.approx(3.0)


def test_a_rebuild_from_the_diary_gives_what_the_saves_wrote(session: Session, clinician: User) -> None:
    rng = random.Random(0)
    patients = [create_patient(session, care_team=[clinician]) for _ in range(3)]
    for patient in patients:
        for back in rng.sample(range(30), 12):
            save(session, patient, back, rng.randint(0, 10))
        save(session, patient, rng.randint(0, 29), rng.randint(0, 10))  # a change of one of them
    written = {p.id: stored(session, p) for p in patients}
    assert (
        diary.rebuild_summaries(session, select(Patient.id).where(Patient.id.in_([p.id for p in patients])))
        == 3
    )
    assert {p.id: stored(session, p) for p in patients} == written


def test_the_migration_fills_the_summaries_of_diaries_written_before_it(tmp_path: Path) -> None:
    url, token = new_empty_database(tmp_path, "summaries")
    try:
        migrate.upgrade(url, "0028")
        engine = get_engine(url)
        user_id, patient_id, empty_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        with engine.begin() as conn:
            # The users table as it stood at 0028: later revisions drop a column the model no longer has.
            users_at_0028 = User.__table__.to_metadata(MetaData())
            users_at_0028.append_column(Column("failed_logins", Integer, nullable=False))
            conn.execute(
                insert(users_at_0028),
                [
                    {"id": uid, "email": f"{uid.hex}@example.org", "full_name": "P", "password_hash": "x"}
                    | {"role": Role.PATIENT, "is_active": True, "failed_logins": 0, "created_at": NOW}
                    for uid in (user_id, empty_id)
                ],
            )
            conn.execute(
                insert(Patient.__table__),
                [
                    {"id": patient_id, "user_id": user_id, "timezone": "Europe/London", "created_at": NOW},
                    {"id": uuid.uuid4(), "user_id": empty_id, "timezone": "Europe/London", "created_at": NOW},
                ],
            )
            # 20 days ending Nov 20 at 3, except Nov 18 (missing) and Nov 20 (9)
            days = [(TODAY - timedelta(days=back), 9 if back == 0 else 3) for back in range(20) if back != 2]
            conn.execute(
                insert(DiaryEntry.__table__),
                [
                    {"id": uuid.uuid4(), "patient_id": patient_id, "day": day, "pain_now": pain}
                    | {"average_pain": pain, "interference": 1, "mood": 5, "sleep_quality": 5}
                    | {"activity_minutes": 0, "triggers": [], "note": "", "updated_at": NOW, "revision": 1}
                    | {"created_at": NOW}
                    for day, pain in days
                ],
            )
        migrate.upgrade(url)
        with session_factory(engine)() as session:
            rows = session.scalars(select(DiarySummary)).all()
            assert len(rows) == 1  # the patient without a diary has no summary
            [summary] = rows
            assert (summary.patient_id, summary.last_day) == (patient_id, TODAY)
            assert summary.recent_pain == [9, 3, None] + [3] * 11
            # Nov 20: 9 + 5 x 3 = 24 / 6 = 4.0; Nov 21: 9 + 4 x 3 = 21 / 5 = 4.2; Nov 22: 9 + 3 + 3 + 3 = 4.5;
            # Nov 23: 9 + 3 + 3 (Nov 17 .. 20 less the missing Nov 18): 3 entries, no mean
            assert summary.mean_day_0 == pytest.approx(4.0)
            assert summary.mean_day_1 == pytest.approx(4.2)
            assert summary.mean_day_2 == pytest.approx(4.5)
            assert summary.mean_day_3 is None
            # the migration's copy of the rule agrees with the application's
            rebuilt = {c: getattr(summary, c) for c in SUMMARY_COLUMNS}
            diary.rebuild_summaries(session)
            session.expire_all()
            assert {c: getattr(session.get(DiarySummary, patient_id), c) for c in SUMMARY_COLUMNS} == rebuilt
    finally:
        drop_database(url, token)
