"""Appointment reminders by email: 24 h and 2 h before, none once cancelled, at the new time once moved, across
the clocks' changes in London; through the real booking service, the real worker and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.notifications.models import JobStatus
from painrewire.notifications.worker import Worker
from painrewire.patients.models import Patient
from painrewire.scheduling import email_reminders
from painrewire.scheduling import service as scheduling
from tests.fixtures.smtp import SmtpServer
from tests.notifications.builders import book, jobs, mail_to, open_every_day, outbox, prefer, run_at
from tests.scheduling.builders import london

MONDAY = date(2027, 3, 22)  # GMT: London's clock shows UTC
BOOKED_AT = london(date(2027, 3, 1), "09:00")
SECOND = timedelta(seconds=1)


class TestWhenRemindersGo:
    def test_24_hours_and_2_hours_before_and_none_earlier(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        start = visit.starts_at
        assert start == datetime(2027, 3, 22, 10, 0, tzinfo=UTC)

        run_at(worker, start - timedelta(hours=24) - SECOND)
        assert mail_to(smtp_server, patient.user) == []

        run_at(worker, start - timedelta(hours=24))
        [first] = mail_to(smtp_server, patient.user)
        assert first.message["Subject"] == "Reminder: your appointment with the clinic"
        assert "You have an appointment with the clinic tomorrow at 10:00." in first.text

        run_at(worker, start - timedelta(hours=2) - SECOND)
        assert len(mail_to(smtp_server, patient.user)) == 1

        run_at(worker, start - timedelta(hours=2))
        second = mail_to(smtp_server, patient.user)[1]
        assert "You have an appointment with the clinic today at 10:00." in second.text

        run_at(worker, start + timedelta(hours=1))
        assert len(mail_to(smtp_server, patient.user)) == 2  # each once

    def test_the_mail_names_no_clinician_discipline_or_visit_type_and_can_be_unsubscribed(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        run_at(worker, visit.starts_at - timedelta(hours=24))
        [mail] = mail_to(smtp_server, patient.user)
        for part in (mail.text, mail.html, str(mail.message["Subject"])):
            assert clinician.full_name not in part
            for word in ("pain specialist", "assessment", "specialist"):
                assert word not in part.lower()
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/notifications/unsubscribe/" in str(mail.message["List-Unsubscribe"])

    def test_no_reminder_for_a_time_already_past_when_booked(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        start = london(MONDAY, "10:00")
        visit = book(
            session, settings, clinician, patient, day=MONDAY, clock="10:00", now=start - timedelta(hours=5)
        )
        assert [j.payload["hours"] for j in jobs(session, email_reminders.key_prefix(visit.id))] == [2]

        run_at(worker, start - timedelta(hours=2))
        [only] = mail_to(smtp_server, patient.user)
        assert "today at 10:00" in only.text


class TestCancelledAndMoved:
    def test_a_cancelled_visit_sends_no_reminder(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        scheduling.cancel(session, clinician, settings, visit.id, reason="Clinician ill", now=BOOKED_AT)
        session.commit()

        run_at(worker, visit.starts_at - timedelta(hours=24))
        run_at(worker, visit.starts_at - timedelta(hours=2))
        assert mail_to(smtp_server, patient.user) == []
        assert {j.status for j in jobs(session, email_reminders.key_prefix(visit.id))} == {
            JobStatus.CANCELLED
        }

    def test_a_moved_visit_reminds_at_its_new_time_only(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        old_start = visit.starts_at
        new_start = london(MONDAY + timedelta(days=1), "14:30")
        scheduling.reschedule(session, clinician, settings, visit.id, starts_at=new_start, now=BOOKED_AT)
        session.commit()

        run_at(worker, old_start - timedelta(hours=24))
        run_at(worker, old_start - timedelta(hours=2))
        assert mail_to(smtp_server, patient.user) == []

        run_at(worker, new_start - timedelta(hours=24))
        [mail] = mail_to(smtp_server, patient.user)
        assert "tomorrow at 14:30" in mail.text

    def test_moved_away_and_back_reminds_at_the_first_time_again(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        start = visit.starts_at
        other = london(MONDAY, "15:00")
        scheduling.reschedule(session, clinician, settings, visit.id, starts_at=other, now=BOOKED_AT)
        scheduling.reschedule(session, clinician, settings, visit.id, starts_at=start, now=BOOKED_AT)
        session.commit()

        run_at(worker, start - timedelta(hours=2))
        assert len(mail_to(smtp_server, patient.user)) == 2  # the 24-hour one (overdue) and the 2-hour one
        run_at(worker, other - timedelta(hours=2))
        assert len(mail_to(smtp_server, patient.user)) == 2

    def test_a_reminder_held_by_quiet_hours_is_dropped_when_the_visit_is_cancelled(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        prefer(session, patient.user, quiet_start="07:00", quiet_end="09:00")
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        run_at(worker, visit.starts_at - timedelta(hours=24))
        run_at(worker, london(MONDAY, "08:00"))  # the 2-hour reminder is queued for 09:00
        [held] = [e for e in outbox(session, patient.user) if e.status == "pending"]
        assert held.send_after == london(MONDAY, "09:00")

        scheduling.cancel(session, clinician, settings, visit.id, now=london(MONDAY, "08:10"))
        session.commit()
        run_at(worker, london(MONDAY, "09:00"))
        assert len(mail_to(smtp_server, patient.user)) == 1  # only the 24-hour one, sent on Sunday


class TestClockChanges:
    """London: summer time starts at 01:00 UTC on Sunday 28 March 2027 and ends at 01:00 UTC on 31 October."""

    def test_reminder_instants_are_elapsed_hours_before_the_start_instant(self) -> None:
        spring = london(date(2027, 3, 28), "10:00")  # BST: 09:00 UTC
        assert spring == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
        assert email_reminders.reminder_instants(spring, [2, 24]) == [
            (24, datetime(2027, 3, 27, 9, 0, tzinfo=UTC)),  # 09:00 GMT on Saturday's clock
            (2, datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # 08:00 BST
        ]
        early = london(date(2027, 3, 28), "03:00")  # BST: 02:00 UTC; two hours earlier London showed 00:00
        assert email_reminders.reminder_instants(early, [2]) == [(2, datetime(2027, 3, 28, 0, 0, tzinfo=UTC))]
        autumn = london(date(2027, 10, 31), "10:00")  # GMT again: 10:00 UTC
        assert email_reminders.reminder_instants(autumn, [24]) == [
            (24, datetime(2027, 10, 30, 10, 0, tzinfo=UTC))  # 11:00 BST on Saturday's clock
        ]

    def test_a_visit_the_morning_the_clocks_go_forward(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        visit = book(
            session, settings, clinician, patient, day=date(2027, 3, 28), clock="10:00", now=BOOKED_AT
        )
        day_before = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)  # 24 elapsed hours before 09:00 UTC

        run_at(worker, day_before - SECOND)
        assert mail_to(smtp_server, patient.user) == []
        run_at(worker, day_before)
        [mail] = mail_to(smtp_server, patient.user)
        assert "tomorrow at 10:00" in mail.text  # the visit's time on the patient's (summer) clock

        run_at(worker, datetime(2027, 3, 28, 7, 0, tzinfo=UTC) - SECOND)
        assert len(mail_to(smtp_server, patient.user)) == 1
        run_at(worker, datetime(2027, 3, 28, 7, 0, tzinfo=UTC))  # 08:00 BST: two real hours before
        assert "today at 10:00" in mail_to(smtp_server, patient.user)[1].text
        assert visit.starts_at == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)

    def test_a_visit_the_morning_the_clocks_go_back(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        booked_at = london(date(2027, 10, 1), "09:00")
        book(session, settings, clinician, patient, day=date(2027, 10, 31), clock="10:00", now=booked_at)
        day_before = datetime(2027, 10, 30, 10, 0, tzinfo=UTC)  # 11:00 on Saturday's summer clock

        run_at(worker, day_before - SECOND)
        assert mail_to(smtp_server, patient.user) == []
        run_at(worker, day_before)
        [mail] = mail_to(smtp_server, patient.user)
        assert "tomorrow at 10:00" in mail.text

        run_at(worker, datetime(2027, 10, 31, 8, 0, tzinfo=UTC))  # 08:00 GMT
        assert "today at 10:00" in mail_to(smtp_server, patient.user)[1].text
