"""PRT: lesson and quiz progress scored on the server, the checklist summary, the journal and somatic tracking
kept and shown back, practice paused by a safety alert, and the course following the signed plan."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clearance.gate import PracticeClosed
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from painrewire.programs.prt.models import LessonProgress, ReappraisalEntry
from painrewire.programs.prt.schemas import JournalEntryWrite, SomaticTrackingWrite
from painrewire.scheduling.models import Appointment, AppointmentStatus
from tests.plans import builders

LESSON = "danger_signals"


def right_answers(lesson_id: str = LESSON) -> dict[str, int]:
    lesson = content.lesson_by_id(lesson_id)
    assert lesson is not None
    return {q.id: q.correct_index for q in lesson.quiz}


def practice(session: Session, patient: Patient, activity: str) -> list[PracticeLog]:
    return list(
        session.scalars(
            select(PracticeLog).where(
                PracticeLog.patient_id == patient.id,
                PracticeLog.module == Module.PRT,
                PracticeLog.activity == activity,
            )
        )
    )


class TestLessons:
    def test_opening_a_lesson_starts_its_progress_only_for_the_patient(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        prt.open_lesson(session, clinician, patient.id, LESSON, mark_opened=True)
        assert session.scalar(select(func.count()).select_from(LessonProgress)) == 0
        _, status = prt.open_lesson(session, patient.user, patient.id, LESSON, mark_opened=True)
        assert status.state == "opened" and status.progress is not None
        assert status.progress.quiz_attempts == 0

    def test_the_quiz_is_scored_on_the_server_and_the_best_score_kept(
        self, session: Session, patient: Patient
    ) -> None:
        answers = right_answers()
        wrong = dict(answers, scales=(answers["scales"] + 1) % 3, red_light=(answers["red_light"] + 1) % 3)
        first = prt.submit_quiz(session, patient.user, patient.id, LESSON, wrong)
        assert (first.result.score, first.result.passed, first.first_pass) == (1, False, False)
        assert first.progress.passed_at is None
        second = prt.submit_quiz(session, patient.user, patient.id, LESSON, answers)
        assert (second.result.score, second.result.passed, second.first_pass) == (3, True, True)
        third = prt.submit_quiz(session, patient.user, patient.id, LESSON, wrong)
        progress = third.progress
        assert (progress.quiz_attempts, progress.best_score, progress.quiz_total) == (3, 3, 3)
        assert progress.passed_at is not None
        logged = practice(session, patient, "lesson")
        assert [(p.title, p.minutes, p.source_id) for p in logged] == [
            ("Lesson: Danger signals and safety signals", 5.0, progress.id)
        ]

    def test_a_missing_answer_is_refused_with_a_message_and_nothing_is_counted(
        self, session: Session, patient: Patient
    ) -> None:
        answers = right_answers()
        del answers["red_light"]
        with pytest.raises(InvalidInput, match=re.escape("Please choose an answer to question 2.")) as err:
            prt.submit_quiz(session, patient.user, patient.id, LESSON, answers)
        assert err.value.field == "red_light"
        assert session.scalar(select(func.count()).select_from(LessonProgress)) == 0

    def test_an_option_that_does_not_exist_is_refused(self, session: Session, patient: Patient) -> None:
        with pytest.raises(InvalidInput, match="Question 1 has options 1 to 3"):
            prt.submit_quiz(session, patient.user, patient.id, LESSON, dict(right_answers(), scales=9))

    def test_only_the_patient_takes_the_quiz(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        with pytest.raises(Forbidden, match="Only the patient can take a lesson's quiz"):
            prt.submit_quiz(session, clinician, patient.id, LESSON, right_answers())

    def test_a_lesson_that_does_not_exist_is_not_found(self, session: Session, patient: Patient) -> None:
        with pytest.raises(NotFound, match=re.escape("There is no such lesson.")):
            prt.submit_quiz(session, patient.user, patient.id, "../etc/passwd", {})

    def test_the_next_lesson_is_the_first_not_yet_passed(self, session: Session, patient: Patient) -> None:
        first = content.lessons()[0].id
        prt.submit_quiz(session, patient.user, patient.id, first, right_answers(first))
        statuses = prt.lesson_statuses(session, patient)
        nxt = prt.next_lesson(statuses)
        assert nxt is not None and nxt.lesson.id == content.lessons()[1].id
        assert [s.state for s in statuses[:2]] == ["passed", "new"]


class TestChecklist:
    def answers(self, yes: int) -> dict[str, bool]:
        return {item.id: i < yes for i, item in enumerate(content.checklist().items)}

    def test_the_checklist_is_kept_with_its_summary_and_counts_as_practice(
        self, session: Session, patient: Patient
    ) -> None:
        response = prt.save_checklist(session, patient.user, patient.id, self.answers(4))
        assert (response.score, response.level) == (4.0, "some")
        assert response.endorsed == [item.id for item in content.checklist().items[:4]]
        assert prt.checklist_summary(response).startswith("Several signs that your brain's alarm")
        assert prt.latest_checklist(session, patient) is response
        assert len(practice(session, patient, "checklist")) == 1

    def test_its_level_feeds_the_plan_rules(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        prt.save_checklist(session, clinician, patient.id, self.answers(9))  # filled in together in a session
        assert plans.build_profile(session, patient).neuroplastic_checklist_level == "many"

    def test_an_unanswered_statement_is_refused_and_nothing_is_stored(
        self, session: Session, patient: Patient
    ) -> None:
        answers: dict[str, object] = dict(self.answers(4))
        answers["delayed_pain"] = None
        with pytest.raises(InvalidInput, match="Please answer yes or no to statement 7"):
            prt.save_checklist(session, patient.user, patient.id, answers)
        assert prt.latest_checklist(session, patient) is None


def journal_entry(n: int = 1) -> JournalEntryWrite:
    return JournalEntryWrite(
        pain_moment=f"Moment {n}: sitting in the car after work",
        danger_message="My disc is slipping again.",
        safety_message="My back is strong; this is the alarm after a stressful day.",
        pain_before=6,
        pain_after=4,
    )


class TestJournal:
    def test_entries_are_saved_and_shown_back_newest_first(self, session: Session, patient: Patient) -> None:
        now = datetime.now(UTC)
        prt.add_journal_entry(
            session, patient.user, patient.id, journal_entry(1), now=now - timedelta(hours=2)
        )
        prt.add_journal_entry(session, patient.user, patient.id, journal_entry(2), now=now)
        shown = prt.journal(session, patient.user, patient.id)
        assert [e.pain_moment for e in shown] == [
            "Moment 2: sitting in the car after work",
            "Moment 1: sitting in the car after work",
        ]
        assert shown[0].safety_message == "My back is strong; this is the alarm after a stressful day."
        logged = practice(session, patient, "reappraisal")
        assert sorted((p.pain_before, p.pain_after) for p in logged) == [(6, 4), (6, 4)]

    def test_blank_messages_are_refused_by_the_schema(self) -> None:
        with pytest.raises(ValueError, match="please write a few words here"):
            JournalEntryWrite(pain_moment="   ", danger_message="d", safety_message="s")

    def test_the_care_team_reads_but_does_not_write_the_journal(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        prt.add_journal_entry(session, patient.user, patient.id, journal_entry())
        assert len(prt.journal(session, clinician, patient.id)) == 1
        with pytest.raises(Forbidden):
            prt.add_journal_entry(session, clinician, patient.id, journal_entry())

    def test_another_patient_cannot_read_the_journal(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        prt.add_journal_entry(session, patient.user, patient.id, journal_entry())
        with pytest.raises(NotFound):
            prt.journal(session, other_patient.user, patient.id)

    def test_an_open_safety_alert_pauses_the_journal(self, session: Session, patient: Patient) -> None:
        builders.open_alert(session, patient)
        with pytest.raises(
            PracticeClosed, match="Your program is paused until a clinician has spoken with you"
        ):
            prt.add_journal_entry(session, patient.user, patient.id, journal_entry())
        assert session.scalar(select(func.count()).select_from(ReappraisalEntry)) == 0


class TestSomaticTracking:
    def test_a_practice_is_logged_with_ratings_and_the_time_spent(
        self, session: Session, patient: Patient
    ) -> None:
        data = SomaticTrackingWrite(pain_before=6, fear_before=7, pain_after=4, fear_after=3, seconds=285)
        log = prt.log_somatic_tracking(session, patient.user, patient.id, data)
        assert (log.module, log.activity, log.minutes) == (Module.PRT, "somatic_tracking", 4.75)
        assert (log.pain_before, log.pain_after, log.fear_before, log.fear_after) == (6, 4, 7, 3)
        assert prt.somatic_history(session, patient) == [log]

    def test_ratings_change_is_the_mean_before_and_after(self, session: Session, patient: Patient) -> None:
        for before, after in [(6, 4), (5, 4), (7, 4)]:
            prt.log_somatic_tracking(
                session,
                patient.user,
                patient.id,
                SomaticTrackingWrite(
                    pain_before=before, fear_before=5, pain_after=after, fear_after=2, seconds=300
                ),
            )
        pain = prt.rating_change(prt.somatic_history(session, patient), "pain")
        fear = prt.rating_change(prt.somatic_history(session, patient), "fear")
        assert pain is not None and (pain.before, pain.after, pain.change, pain.practices) == (6, 4, -2, 3)
        assert fear is not None and fear.change == -3

    def test_an_open_safety_alert_pauses_practice_until_it_is_cleared(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        alert = builders.open_alert(session, patient)
        data = SomaticTrackingWrite(pain_before=6, fear_before=7, pain_after=4, fear_after=3, seconds=120)
        with pytest.raises(PracticeClosed):
            prt.log_somatic_tracking(session, patient.user, patient.id, data)
        builders.clear(session, clinician, alert)
        assert prt.log_somatic_tracking(session, patient.user, patient.id, data).minutes == 2.0


class TestCourse:
    def test_before_a_signed_plan_the_course_has_not_started(
        self, session: Session, patient: Patient
    ) -> None:
        view = prt.course_view(session, patient)
        assert (view.started_on, view.week, view.this_week) == (None, None, [])
        assert [v.state for v in view.sessions] == ["not_booked"] * 8

    def test_the_course_week_follows_the_signed_plan(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        now = datetime.now(UTC)
        version = plans.propose(session, clinician, patient.id, now=now - timedelta(days=15))
        plans.sign(session, clinician, patient.id, version.id)
        view = prt.course_view(session, patient, now=now)
        assert view.started_on == version.starts_on
        assert view.week == 3
        assert [v.session.number for v in view.this_week] == [5, 6]
        assert view.this_week[0].session.title == "Breaking the fear cycle"

    def test_each_session_shows_the_booked_appointment_in_order_skipping_cancelled_ones(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        now = datetime.now(UTC).replace(microsecond=0)

        def book(days: int, status: AppointmentStatus, kind: str = "prt_session") -> Appointment:
            starts = now + timedelta(days=days)
            appointment = Appointment(
                patient_id=patient.id,
                clinician_id=clinician.id,
                appointment_type=kind,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                blocked_from=starts,
                blocked_until=starts + timedelta(hours=1),
                timezone="Europe/London",
                status=status,
            )
            session.add(appointment)
            session.flush()
            return appointment

        first = book(-3, AppointmentStatus.COMPLETED)
        book(1, AppointmentStatus.CANCELLED)
        book(2, AppointmentStatus.BOOKED, kind="initial_assessment")
        second = book(4, AppointmentStatus.BOOKED)
        view = prt.course_view(session, patient, now=now)
        shown = [
            (v.session.number, v.state, v.appointment.appointment_id if v.appointment else None)
            for v in view.sessions
        ]
        assert shown[:3] == [(1, "attended", first.id), (2, "booked", second.id), (3, "not_booked", None)]
        assert view.sessions[1].appointment is not None
        assert view.sessions[1].appointment.clinician_name == clinician.full_name
