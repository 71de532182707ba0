"""Follow-ups after treatment: the PEG and the plan's questionnaires asked at its end and 3, 6 and 12 months later,
once, on the patient's own calendar (across London's clock changes), emailed on the due day by the worker."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AssignmentStatus, QuestionnaireAssignment
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.diary.outcomes import FollowUpStatus, StartSource, TimePoint, follow_up_due
from painrewire.diary.progress import progress_for
from painrewire.notifications.worker import Worker
from painrewire.patients.models import Patient
from painrewire.plans import course as courses
from painrewire.plans import follow_ups
from painrewire.plans import service as plans
from painrewire.plans.models import EndReason, FollowUpRequest, TreatmentCourse
from painrewire.plans.rules import PlanProposal
from tests.fixtures.smtp import SmtpServer
from tests.notifications.builders import mail_to, run_at
from tests.plans import builders
from tests.scheduling.builders import london


def ended(session: Session, patient: Patient, *, started: date, ended_on: date) -> None:
    """A course of treatment recorded as it is stored: started, then ended on ``ended_on`` (London)."""
    session.add(
        TreatmentCourse(
            patient_id=patient.id,
            treatment_started_on=started,
            start_source=StartSource.PLAN_SIGNED,
            ended_on=ended_on,
            end_reason=EndReason.COMPLETED,
        )
    )
    session.commit()


def requests(session: Session, patient: Patient) -> list[tuple[TimePoint, str, date]]:
    rows = session.scalars(
        select(FollowUpRequest)
        .where(FollowUpRequest.patient_id == patient.id)
        .execution_options(populate_existing=True)
    )
    return sorted((r.time_point, r.instrument_id, r.due_on) for r in rows)


def open_requests(session: Session, patient: Patient) -> dict[str, date | None]:
    rows = session.scalars(
        select(QuestionnaireAssignment)
        .where(
            QuestionnaireAssignment.patient_id == patient.id,
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
        )
        .execution_options(populate_existing=True)
    )
    return {a.instrument_id: a.due_on for a in rows}


class TestAsking:
    def test_at_the_end_the_peg_and_the_plans_questionnaires_are_asked_once(
        self, session: Session, settings: Settings, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        version = plans.propose(session, clinician, patient.id)
        plans.sign(session, clinician, patient.id, version.id, now=utcnow() - timedelta(days=40))
        for waiting in session.scalars(select(QuestionnaireAssignment)):  # the baseline requests, answered
            waiting.status = AssignmentStatus.COMPLETED
        today = patient.local_today()
        courses.end_treatment(session, clinician, patient.id, ended_on=today, reason=EndReason.COMPLETED)
        session.commit()

        now = utcnow()
        asked = follow_ups.assign_follow_ups(session, settings, now)
        signed = plans.signed_plan(session, patient)
        assert signed is not None
        plan_questionnaires = [q.instrument for q in PlanProposal.from_dict(signed.content).questionnaires]
        expected = ["peg", *[i for i in plan_questionnaires if i != "peg"]]
        assert asked == len(expected)
        assert requests(session, patient) == sorted((TimePoint.END, i, today) for i in expected)
        assert open_requests(session, patient) == dict.fromkeys(expected, today)
        # the worker passes again, or a second worker does: nothing is asked twice
        assert follow_ups.assign_follow_ups(session, settings, now) == 0
        assert follow_ups.assign_follow_ups(session, settings, now + timedelta(hours=6)) == 0
        assert len(requests(session, patient)) == len(expected)

    def test_an_open_request_for_the_same_questionnaire_stands_for_the_follow_up(
        self, session: Session, settings: Settings, patient: Patient, clinician: User
    ) -> None:
        today = patient.local_today()
        waiting = QuestionnaireAssignment(
            patient_id=patient.id,
            instrument_id="peg",
            assigned_by_id=clinician.id,
            due_on=today - timedelta(days=2),
            status=AssignmentStatus.OPEN,
        )
        session.add(waiting)
        ended(session, patient, started=today - timedelta(days=30), ended_on=today)
        assert follow_ups.assign_follow_ups(session, settings, utcnow()) == 1
        [request] = session.scalars(select(FollowUpRequest).where(FollowUpRequest.patient_id == patient.id))
        assert request.assignment_id == waiting.id
        assert open_requests(session, patient) == {"peg": today - timedelta(days=2)}

    def test_nobody_is_asked_before_the_window_after_it_or_once_their_account_is_closed(
        self, session: Session, settings: Settings, patient: Patient
    ) -> None:
        # ended 5 January 2027: 3 months later is 5 April, asked from 29 March to 3 May
        ended(session, patient, started=date(2026, 12, 1), ended_on=date(2027, 1, 5))
        for moment in ("2027-03-20T12:00:00+00:00", "2027-05-04T12:00:00+00:00"):
            assert follow_ups.assign_follow_ups(session, settings, datetime.fromisoformat(moment)) == 0
        patient.user.is_active = False
        session.commit()
        inside = datetime.fromisoformat("2027-04-01T12:00:00+00:00")
        assert follow_ups.assign_follow_ups(session, settings, inside) == 0
        patient.user.is_active = True
        session.commit()
        assert follow_ups.assign_follow_ups(session, settings, inside) == 1
        # asked after its due day: the request falls due the day it is asked, so the reminder still goes
        late = datetime.fromisoformat("2027-04-20T12:00:00+00:00")
        session.execute(delete(FollowUpRequest).where(FollowUpRequest.patient_id == patient.id))
        for waiting in session.scalars(select(QuestionnaireAssignment)):
            waiting.status = AssignmentStatus.CANCELLED
        session.commit()
        assert follow_ups.assign_follow_ups(session, settings, late) == 1
        assert requests(session, patient) == [(TimePoint.MONTH_3, "peg", date(2027, 4, 5))]
        assert open_requests(session, patient) == {"peg": date(2027, 4, 20)}

    def test_the_answer_completes_the_follow_up_and_the_outcome_counts_it(
        self, session: Session, settings: Settings, patient: Patient, clinician: User
    ) -> None:
        today = patient.local_today()
        baseline = builders.answer(session, patient, "peg", [6, 5, 5]).response
        assert baseline is not None
        baseline.completed_at = utcnow() - timedelta(days=31)  # the day before treatment started
        ended(session, patient, started=today - timedelta(days=30), ended_on=today)
        follow_ups.assign_follow_ups(session, settings, utcnow())
        assert open_requests(session, patient) == {"peg": today}
        builders.answer(session, patient, "peg", [2, 2, 2])
        assert open_requests(session, patient) == {}
        end = progress_for(session, patient).follow_ups[0]
        assert (end.time_point, end.status) == (TimePoint.END, FollowUpStatus.MEASURED)
        assert end.measure is not None and end.measure.value == 2.0
        assert end.change is not None and (end.change.responder_30, end.change.responder_50) == (True, True)


class TestAcrossTheClockChange:
    """London's clocks go forward at 01:00 UTC on 28 March 2027 and back at 01:00 UTC on 31 October 2027."""

    def test_the_window_opens_at_midnight_on_the_patients_clock_in_summer_time(
        self, session: Session, settings: Settings, patient: Patient
    ) -> None:
        # ended 5 January: 3 months later is 5 April, asked from 29 March (the first day of summer time)
        ended(session, patient, started=date(2026, 12, 1), ended_on=date(2027, 1, 5))
        late_on_the_28th = datetime.fromisoformat("2027-03-28T22:30:00+00:00")  # 23:30 BST on the 28th
        assert follow_ups.assign_follow_ups(session, settings, late_on_the_28th) == 0
        just_after_midnight = datetime.fromisoformat("2027-03-28T23:30:00+00:00")  # 00:30 BST on the 29th
        assert follow_ups.assign_follow_ups(session, settings, just_after_midnight) == 1
        assert requests(session, patient) == [(TimePoint.MONTH_3, "peg", date(2027, 4, 5))]

    def test_the_window_opens_at_midnight_on_the_patients_clock_the_night_the_clocks_go_back(
        self, session: Session, settings: Settings, patient: Patient
    ) -> None:
        # ended 7 August: 3 months later is 7 November, asked from 31 October
        ended(session, patient, started=date(2027, 7, 1), ended_on=date(2027, 8, 7))
        late_on_the_30th = datetime.fromisoformat("2027-10-30T22:30:00+00:00")  # 23:30 BST on the 30th
        assert follow_ups.assign_follow_ups(session, settings, late_on_the_30th) == 0
        # 00:30 BST on the 31st, while it is still the 30th in UTC
        assert (
            follow_ups.assign_follow_ups(
                session, settings, datetime.fromisoformat("2027-10-30T23:30:00+00:00")
            )
            == 1
        )
        assert requests(session, patient) == [(TimePoint.MONTH_3, "peg", date(2027, 11, 7))]

    def test_a_follow_up_due_the_day_the_clocks_go_forward_is_emailed_at_nine_on_the_patients_clock(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        # ended 28 December 2026: 3 months later is Sunday 28 March 2027, 6 months 28 June, 12 months 28 Dec
        ended(session, patient, started=date(2026, 11, 30), ended_on=date(2026, 12, 28))
        assert [follow_up_due(date(2026, 12, 28), t) for t in TimePoint] == [
            date(2026, 12, 28),
            date(2027, 3, 28),
            date(2027, 6, 28),
            date(2027, 12, 28),
        ]
        run_at(
            worker, london(date(2027, 3, 20), "12:00")
        )  # the end's window closed long ago; 3 months not open
        assert requests(session, patient) == []
        run_at(worker, london(date(2027, 3, 21), "00:30"))
        assert requests(session, patient) == [(TimePoint.MONTH_3, "peg", date(2027, 3, 28))]
        run_at(worker, london(date(2027, 3, 28), "08:59"))
        assert mail_to(smtp_server, patient.user) == []
        nine = london(date(2027, 3, 28), "09:00")
        assert nine == datetime.fromisoformat("2027-03-28T08:00:00+00:00")  # 09:00 BST
        run_at(worker, nine)
        [mail] = mail_to(smtp_server, patient.user)
        assert mail.message["Subject"] == "A questionnaire from your care team is waiting"
        run_at(worker, london(date(2027, 3, 29), "09:00"))
        assert len(mail_to(smtp_server, patient.user)) == 1

    def test_a_follow_up_due_the_day_the_clocks_go_back_is_emailed_at_nine_on_the_patients_clock(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        # ended 31 July 2027: 3 months later is Sunday 31 October 2027
        ended(session, patient, started=date(2027, 6, 1), ended_on=date(2027, 7, 31))
        run_at(worker, london(date(2027, 10, 25), "12:00"))
        assert requests(session, patient) == [(TimePoint.MONTH_3, "peg", date(2027, 10, 31))]
        run_at(worker, london(date(2027, 10, 31), "08:59"))
        assert mail_to(smtp_server, patient.user) == []
        nine = london(date(2027, 10, 31), "09:00")
        assert nine == datetime.fromisoformat("2027-10-31T09:00:00+00:00")  # 09:00 GMT again
        run_at(worker, nine)
        assert len(mail_to(smtp_server, patient.user)) == 1
