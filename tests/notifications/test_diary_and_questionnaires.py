"""The diary reminder (for those who opted in) and the questionnaire-due email, through the real worker and SMTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AssignmentStatus, QuestionnaireAssignment
from painrewire.config import Settings
from painrewire.diary import reminders as diary_reminders
from painrewire.diary.models import DiaryEntry
from painrewire.notifications.worker import Worker
from painrewire.patients.models import Patient
from tests.fixtures.smtp import SmtpServer
from tests.notifications.builders import jobs, mail_to, prefer, run_at
from tests.scheduling.builders import london

JUNE_1 = date(2027, 6, 1)  # British Summer Time: London's clock is UTC + 1
MORNING = london(JUNE_1, "10:00")
SECOND = timedelta(seconds=1)


def write_diary(session: Session, patient: Patient, day: date) -> None:
    session.add(
        DiaryEntry(
            patient_id=patient.id,
            day=day,
            pain_now=4,
            average_pain=5,
            interference=3,
            mood=6,
            sleep_quality=5,
        )
    )
    session.commit()


def second_worker(worker: Worker) -> Worker:
    """Another worker process on the same database (its own id, the same jobs and sweeps)."""
    return Worker(
        sessions=worker.sessions,
        dialect=worker.dialect,
        settings=worker.settings,
        handlers=worker.handlers,
        sweeps=worker.sweeps,
    )


class TestDiaryReminder:
    def test_none_for_a_patient_who_did_not_opt_in(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        run_at(worker, MORNING)
        run_at(worker, london(JUNE_1, "19:00"))
        assert mail_to(smtp_server, patient.user) == []
        assert jobs(session, f"diary-reminder:{patient.id}:") == []

    def test_at_the_chosen_time_on_the_patients_clock_once_even_with_two_workers(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        prefer(session, patient.user, diary="email", diary_time="19:30")
        other = second_worker(worker)
        for w in (worker, other):  # both sweep: one job for the day
            run_at(w, MORNING)
        [job] = jobs(session, f"diary-reminder:{patient.id}:")
        assert job.key == f"diary-reminder:{patient.id}:2027-06-01"
        assert job.due_at == datetime(2027, 6, 1, 18, 30, tzinfo=UTC)  # 19:30 BST

        run_at(worker, london(JUNE_1, "19:30") - SECOND)
        assert mail_to(smtp_server, patient.user) == []
        for w in (worker, other, worker):
            run_at(w, london(JUNE_1, "19:30"))
        [mail] = mail_to(smtp_server, patient.user)
        assert mail.message["Subject"] == "Your diary for today"
        assert "You have not filled in today's diary yet." in mail.text
        assert "/patient/diary" in mail.text

    def test_the_sweep_called_twice_plans_one_job(
        self, session: Session, settings: Settings, patient: Patient
    ) -> None:
        prefer(session, patient.user, diary="email")
        assert diary_reminders.plan_diary_reminders(session, settings, MORNING) == 1
        assert diary_reminders.plan_diary_reminders(session, settings, MORNING) == 0
        [job] = jobs(session, f"diary-reminder:{patient.id}:")
        assert job.due_at == london(JUNE_1, "19:00")  # the clinic's default time

    def test_not_sent_when_the_day_is_already_written(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        prefer(session, patient.user, diary="email")
        run_at(worker, MORNING)
        write_diary(session, patient, JUNE_1)
        run_at(worker, london(JUNE_1, "19:00"))
        assert mail_to(smtp_server, patient.user) == []

    def test_the_next_day_is_reminded_again(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        prefer(session, patient.user, diary="email")
        run_at(worker, MORNING)
        run_at(worker, london(JUNE_1, "19:00"))
        run_at(worker, london(JUNE_1 + timedelta(days=1), "19:00"))
        assert len(mail_to(smtp_server, patient.user)) == 2

    def test_a_changed_time_moves_the_days_reminder(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        prefer(session, patient.user, diary="email")
        run_at(worker, MORNING)
        prefer(session, patient.user, diary_time="20:15")
        run_at(worker, london(JUNE_1, "19:00"))
        assert mail_to(smtp_server, patient.user) == []
        run_at(worker, london(JUNE_1, "20:15"))
        assert len(mail_to(smtp_server, patient.user)) == 1

    def test_no_stale_reminder_after_the_day_is_over(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        prefer(session, patient.user, diary="email")
        run_at(worker, MORNING)
        run_at(worker, london(JUNE_1 + timedelta(days=1), "08:00"))  # the worker was stopped over the evening
        assert mail_to(smtp_server, patient.user) == []


class TestQuestionnaireDue:
    def assign(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        due_on: date | None,
        instrument: str = "peg",
    ) -> QuestionnaireAssignment:
        assignment = QuestionnaireAssignment(
            patient_id=patient.id,
            instrument_id=instrument,
            assigned_by_id=clinician.id,
            due_on=due_on,
            status=AssignmentStatus.OPEN,
        )
        session.add(assignment)
        session.commit()
        return assignment

    def test_emailed_once_on_its_due_day_while_open(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        self.assign(session, patient, clinician, date(2027, 6, 3))
        run_at(worker, london(date(2027, 6, 2), "12:00"))
        run_at(worker, london(date(2027, 6, 3), "09:00") - SECOND)
        assert mail_to(smtp_server, patient.user) == []

        run_at(worker, london(date(2027, 6, 3), "09:00"))
        [mail] = mail_to(smtp_server, patient.user)
        assert mail.message["Subject"] == "A questionnaire from your care team is waiting"
        assert "a questionnaire from your care team is waiting" in mail.text.lower()
        assert "peg" not in mail.text.lower()

        for day in (3, 4, 5):
            run_at(worker, london(date(2027, 6, day), "18:00"))
        assert len(mail_to(smtp_server, patient.user)) == 1

    def test_not_emailed_when_completed_before_it_falls_due(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        assignment = self.assign(session, patient, clinician, date(2027, 6, 3))
        run_at(worker, london(date(2027, 6, 2), "12:00"))  # planned
        assignment.status = AssignmentStatus.COMPLETED
        session.commit()
        run_at(worker, london(date(2027, 6, 3), "12:00"))
        assert mail_to(smtp_server, patient.user) == []

    def test_without_a_due_date_nothing_is_sent(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        self.assign(session, patient, clinician, None)
        run_at(worker, london(date(2027, 6, 3), "12:00"))
        assert mail_to(smtp_server, patient.user) == []
