"""CBT services: thought records, pacing plans and the exposure ladder, each saved and read back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditEvent, User
from painrewire.clearance.gate import PracticeClosed
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.cbt import service as cbt
from painrewire.programs.cbt.schemas import (
    ExposureAttemptCreate,
    ExposureItemCreate,
    PacingActivityCreate,
    ThoughtRecordCreate,
)
from tests.programs.cbt.conftest import open_safety_alert

NOW = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # a Wednesday


def _record(**changes: object) -> ThoughtRecordCreate:
    values: dict[str, object] = {
        "situation": "Bent down to tie my shoe and felt a twinge.",
        "automatic_thought": "My back is going to give way.",
        "feelings": [{"feeling": "scared", "intensity": 80}],
        "distortions": ["catastrophising", "fortune_telling"],
        "evidence_against": "It has never given way.",
        "balanced_thought": "A twinge is a sensitive alarm, not damage.",
        "rerated_feelings": [{"feeling": "scared", "intensity": 40}],
        "minutes": 6,
    }
    return ThoughtRecordCreate.model_validate({**values, **changes})


class TestThoughtRecords:
    def test_a_saved_record_is_read_back_and_logged_as_practice(
        self, session: Session, patient: Patient
    ) -> None:
        record = cbt.create_thought_record(session, patient.user, patient.id, _record(), now=NOW)
        [back] = cbt.thought_records(session, patient.user, patient.id)
        assert back.id == record.id and back.day == date(2026, 3, 4)
        assert back.feelings == [{"feeling": "scared", "intensity": 80}]
        assert back.rerated_feelings == [{"feeling": "scared", "intensity": 40}]
        assert back.distortions == ["catastrophising", "fortune_telling"]
        log = session.scalar(select(PracticeLog).where(PracticeLog.source_id == record.id))
        assert log is not None
        assert (log.module, log.activity, log.minutes, log.day) == (
            Module.CBT,
            "thought_record",
            6,
            date(2026, 3, 4),
        )

    def test_a_record_for_a_future_day_is_refused_naming_the_day(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            cbt.create_thought_record(session, patient.user, patient.id, _record(day="2026-03-05"), now=NOW)
        assert caught.value.field == "day"
        assert session.scalar(select(PracticeLog).where(PracticeLog.patient_id == patient.id)) is None

    def test_the_care_team_reads_the_records_and_the_read_is_audited(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        cbt.create_thought_record(session, patient.user, patient.id, _record(), now=NOW)
        assert len(cbt.thought_records(session, clinician, patient.id)) == 1
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor_id == clinician.id, AuditEvent.resource_type == "thought_record"
            )
        ).all()
        assert len(audit) == 1

    def test_another_patient_cannot_read_or_write_a_patients_records(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        record = cbt.create_thought_record(session, patient.user, patient.id, _record(), now=NOW)
        with pytest.raises(NotFound):
            cbt.thought_records(session, other_patient.user, patient.id)
        with pytest.raises(NotFound):
            cbt.thought_record(session, other_patient.user, patient.id, record.id)
        with pytest.raises(NotFound):
            cbt.create_thought_record(session, other_patient.user, patient.id, _record(), now=NOW)

    def test_the_trend_counts_traps_per_week(self, session: Session, patient: Patient) -> None:
        for days_ago, traps in [
            (14, ["catastrophising", "labelling"]),
            (13, ["catastrophising"]),
            (0, ["labelling"]),
        ]:
            day = (NOW - timedelta(days=days_ago)).date().isoformat()
            cbt.create_thought_record(
                session, patient.user, patient.id, _record(day=day, distortions=traps), now=NOW
            )
        weeks = cbt.distortion_trend_for(session, patient, today=NOW.date())
        assert [(w.week, w.count("catastrophising"), w.count("labelling")) for w in weeks] == [
            (date(2026, 2, 16), 2, 1),
            (date(2026, 2, 23), 0, 0),
            (date(2026, 3, 2), 0, 1),
        ]

    def test_a_patient_with_an_open_safety_alert_cannot_start_practice(
        self, session: Session, patient: Patient
    ) -> None:
        open_safety_alert(session, patient)
        with pytest.raises(PracticeClosed):
            cbt.create_thought_record(session, patient.user, patient.id, _record(), now=NOW)


def _walking(**changes: object) -> PacingActivityCreate:
    values: dict[str, object] = {
        "name": "Walking",
        "unit": "minutes",
        "measurements": [12, 15, 10],
        "starts_on": "2026-02-18",
    }
    return PacingActivityCreate.model_validate({**values, **changes})


class TestPacing:
    def test_a_plan_starts_at_80_percent_of_the_mean_and_logs_weeks_against_it(
        self, session: Session, patient: Patient
    ) -> None:
        activity = cbt.create_pacing_activity(session, patient.user, patient.id, _walking(), now=NOW)
        assert activity.baseline == pytest.approx(37 / 3)
        cbt.log_pacing_week(session, patient.user, patient.id, activity.id, 1, 10.0, now=NOW)
        cbt.log_pacing_week(session, patient.user, patient.id, activity.id, 2, 14.0, now=NOW)
        cbt.log_pacing_week(session, patient.user, patient.id, activity.id, 2, 11.0, now=NOW)  # corrected
        [plan] = cbt.pacing_plans_for(session, patient, today=NOW.date())
        assert plan.current_week == 3  # 18 Feb + 14 days = 4 Mar
        assert [round(w.target, 2) for w in plan.weeks[:3]] == [9.87, 11.1, 12.33]
        assert [(w.actual, w.status) for w in plan.weeks[:3]] == [
            (10.0, "on plan"),
            (11.0, "on plan"),
            (None, "not logged"),
        ]

    def test_a_week_that_has_not_started_cannot_be_logged(self, session: Session, patient: Patient) -> None:
        activity = cbt.create_pacing_activity(session, patient.user, patient.id, _walking(), now=NOW)
        with pytest.raises(InvalidInput) as caught:
            cbt.log_pacing_week(session, patient.user, patient.id, activity.id, 4, 10.0, now=NOW)
        assert caught.value.field == "week" and "week 4 has not started yet" in caught.value.message

    def test_an_activity_of_another_patient_is_not_found(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        theirs = cbt.create_pacing_activity(
            session, other_patient.user, other_patient.id, _walking(), now=NOW
        )
        with pytest.raises(NotFound):
            cbt.log_pacing_week(session, patient.user, patient.id, theirs.id, 1, 10.0, now=NOW)


class TestExposure:
    def test_the_ladder_is_least_feared_first_and_shows_the_gap(
        self, session: Session, patient: Patient
    ) -> None:
        for movement, fear in [("Lifting a bag", 85), ("Bending to the floor", 60), ("Sitting an hour", 30)]:
            cbt.add_exposure_item(
                session, patient.user, patient.id, ExposureItemCreate(movement=movement, fear_rating=fear)
            )
        ladder = cbt.hierarchy_for(session, patient)
        assert [s.item.movement for s in ladder.steps] == [
            "Sitting an hour",
            "Bending to the floor",
            "Lifting a bag",
        ]
        bending = ladder.steps[1].item
        for day, predicted, felt in [(1, 70, 40), (3, 60, 45)]:
            cbt.log_exposure_attempt(
                session,
                patient.user,
                patient.id,
                bending.id,
                ExposureAttemptCreate(predicted_fear=predicted, actual_fear=felt, minutes=8),
                now=datetime(2026, 3, day, 17, tzinfo=UTC),
            )
        cbt.rerate_exposure_item(session, patient.user, patient.id, bending.id, 20)
        ladder = cbt.hierarchy_for(session, patient)
        assert [s.item.movement for s in ladder.steps] == [
            "Bending to the floor",
            "Sitting an hour",
            "Lifting a bag",
        ]
        assert [a.gap for a in ladder.steps[0].attempts] == [30, 15]
        assert ladder.mean_gap == pytest.approx(22.5)
        assert ladder.gap_trend == (pytest.approx(30), pytest.approx(15))
        logs = session.scalars(select(PracticeLog).where(PracticeLog.activity == "exposure")).all()
        assert [(log.minutes, log.title) for log in logs] == [
            (8, "Graded exposure: Bending to the floor")
        ] * 2

    def test_an_attempt_on_another_patients_movement_is_not_found(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        theirs = cbt.add_exposure_item(
            session,
            other_patient.user,
            other_patient.id,
            ExposureItemCreate(movement="Lifting", fear_rating=50),
        )
        with pytest.raises(NotFound):
            cbt.log_exposure_attempt(
                session,
                patient.user,
                patient.id,
                theirs.id,
                ExposureAttemptCreate(predicted_fear=5, actual_fear=5),
            )
