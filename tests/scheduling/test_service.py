"""Booking rules through the service, with a fixed clock: free times, booking, moving, cancelling, the course."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditEvent, Discipline, Role, User
from painrewire.config import Settings
from painrewire.dashboard import service as dashboard
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.practice.models import Module
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.errors import AppointmentClosed, NotBookable, NoticePeriodPassed, SlotTaken
from painrewire.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    AvailabilityMode,
    ChangeKind,
    ExceptionKind,
)
from tests.fixtures.factories import create_patient, create_user
from tests.plans.builders import intake, practise
from tests.scheduling.builders import london, open_calendar

MONDAY = date(2027, 3, 22)  # the week London moves to summer time (Sunday 28 March)
NOW = london(date(2027, 3, 15), "08:00")


def book(
    session: Session,
    actor: User,
    settings: Settings,
    clinician: User,
    clock: str,
    day: date = MONDAY,
    **kw: Any,
) -> scheduling.Booking:
    kw.setdefault("type_key", "initial_assessment")
    return scheduling.book(
        session, actor, settings, clinician_id=clinician.id, starts_at=london(day, clock), now=NOW, **kw
    )


def count(session: Session, patient: Patient) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Appointment).where(Appointment.patient_id == patient.id)
        )
        or 0
    )


class TestFindSlots:
    def test_free_times_follow_the_london_clock_across_the_change(
        self, session: Session, settings: Settings, clinician: User
    ) -> None:
        open_calendar(session, clinician, hours=[(0, "09:00", "11:00")])
        result = scheduling.find_slots(
            session,
            type_key="initial_assessment",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY + timedelta(days=8), "00:00"),
            clinic_zone=settings.clinic_timezone,
            clinician_id=clinician.id,
            now=NOW,
        )
        got = [(s.starts_at.day, s.starts_at.hour, s.starts_at.minute) for s in result.slots]
        # 60-minute visits every 30 minutes, 09:00-11:00 London: GMT on the 22nd, BST (UTC+1) on the 29th.
        assert got == [(22, 9, 0), (22, 9, 30), (22, 10, 0), (29, 8, 0), (29, 8, 30), (29, 9, 0)]

    def test_first_available_prefers_the_patients_care_team(
        self, session: Session, settings: Settings, patient: Patient, clinician: User
    ) -> None:
        stranger = create_user(
            session,
            role=Role.CLINICIAN,
            discipline=Discipline.PAIN_SPECIALIST,
            full_name="Aaron First-Alphabet",
        )
        open_calendar(session, clinician)
        open_calendar(session, stranger)
        result = scheduling.find_slots(
            session,
            type_key="initial_assessment",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY, "12:00"),
            clinic_zone=settings.clinic_timezone,
            patient_id=patient.id,
            now=NOW,
        )
        assert {s.clinician_id for s in result.slots} == {clinician.id}
        anonymous = scheduling.find_slots(
            session,
            type_key="initial_assessment",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY, "12:00"),
            clinic_zone=settings.clinic_timezone,
            now=NOW,
        )
        assert {s.clinician_name for s in anonymous.slots} == {
            "Aaron First-Alphabet"
        }  # fewest bookings, then name

    def test_only_clinicians_of_the_types_disciplines_with_an_open_calendar(
        self, session: Session, settings: Settings, clinician: User, other_clinician: User
    ) -> None:
        closed = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        open_calendar(session, clinician)
        open_calendar(session, other_clinician)  # a psychologist: no initial assessments
        open_calendar(session, closed, online=False)
        result = scheduling.find_slots(
            session,
            type_key="initial_assessment",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY, "23:00"),
            clinic_zone=settings.clinic_timezone,
            now=NOW,
        )
        assert [c.id for c in result.clinicians] == [clinician.id]

    def test_an_unknown_type_is_refused_by_name(self, session: Session, settings: Settings) -> None:
        with pytest.raises(
            NotBookable, match="Unknown appointment type 'massage'; choose one of initial_assessment"
        ):
            scheduling.find_slots(
                session,
                type_key="massage",
                start=NOW,
                end=NOW + timedelta(days=1),
                clinic_zone=settings.clinic_timezone,
            )

    def test_a_search_longer_than_eight_weeks_is_refused(self, session: Session, settings: Settings) -> None:
        with pytest.raises(InvalidInput, match="at most 56 days"):
            scheduling.find_slots(
                session,
                type_key="follow_up",
                start=NOW,
                end=NOW + timedelta(days=57),
                clinic_zone=settings.clinic_timezone,
            )

    def test_the_search_is_a_fixed_number_of_queries_whatever_the_clinic_size(
        self, session: Session, settings: Settings
    ) -> None:
        from sqlalchemy import event

        def queries(n: int) -> int:
            for _ in range(n):
                open_calendar(
                    session, create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
                )
            seen: list[str] = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", listener)
            try:
                scheduling.find_slots(
                    session,
                    type_key="psychology",
                    start=london(MONDAY, "00:00"),
                    end=london(MONDAY + timedelta(days=14), "00:00"),
                    clinic_zone=settings.clinic_timezone,
                    now=NOW,
                )
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            return len(seen)

        assert queries(2) == queries(10) == 4


class TestBook:
    def test_a_patient_books_a_free_time_and_the_clinician_joins_the_care_team(
        self, session: Session, settings: Settings, other_clinician: User
    ) -> None:
        patient = create_patient(session)
        open_calendar(session, other_clinician)
        booking = book(session, patient.user, settings, other_clinician, "10:00", type_key="psychology")
        a = booking.appointment
        assert (a.status, a.ends_at - a.starts_at, a.blocked_until - a.ends_at) == (
            AppointmentStatus.BOOKED,
            timedelta(minutes=50),
            timedelta(minutes=10),
        )
        assert booking.joined_care_team and access.is_on_care_team(session, other_clinician, patient.id)
        assert a.timezone == "Europe/London"
        changes = session.scalars(
            select(AppointmentChange).where(AppointmentChange.appointment_id == a.id)
        ).all()
        assert [c.kind for c in changes] == [ChangeKind.BOOKED]

    def test_a_clinician_already_on_the_team_is_not_added_twice(
        self, session: Session, settings: Settings, patient: Patient, clinician: User
    ) -> None:
        open_calendar(session, clinician)
        assert not book(session, patient.user, settings, clinician, "10:00").joined_care_team

    def test_the_same_time_cannot_be_booked_twice(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        book(session, patient.user, settings, clinician, "10:00")
        other = create_patient(session)
        with pytest.raises(SlotTaken, match="That time was just taken"):
            book(session, other.user, settings, clinician, "10:00")
        with pytest.raises(SlotTaken):  # 10:30 would start inside the first visit
            book(session, other.user, settings, clinician, "10:30")
        assert count(session, other) == 0

    def test_the_buffer_after_a_visit_is_kept_free(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        book(session, patient.user, settings, clinician, "10:00")  # 60 min + 15 min buffer: held until 11:15
        other = create_patient(session)
        with pytest.raises(SlotTaken):
            book(session, other.user, settings, clinician, "11:00", type_key="follow_up")
        assert book(
            session, other.user, settings, clinician, "11:30", type_key="follow_up"
        ).appointment.starts_at == london(MONDAY, "11:30")

    @pytest.mark.parametrize(
        ("clock", "day", "message"),
        [
            ("18:00", MONDAY, "not working then"),
            ("10:10", MONDAY, "not one of the offered start times"),
            ("10:00", MONDAY - timedelta(days=14), "in the past"),
            ("09:00", date(2027, 3, 15), "at least 2 hours ahead"),
            ("10:00", MONDAY + timedelta(weeks=13), "open 12 weeks ahead"),
            ("10:00", MONDAY + timedelta(days=5), "not working then"),
        ],
    )
    def test_times_that_cannot_be_booked_say_why(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        clock: str,
        day: date,
        message: str,
    ) -> None:
        open_calendar(session, clinician)
        with pytest.raises(NotBookable, match=message):
            book(session, patient.user, settings, clinician, clock, day)
        assert count(session, patient) == 0

    def test_a_clinician_of_another_discipline_is_refused(
        self, session: Session, settings: Settings, other_clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, other_clinician)
        with pytest.raises(NotBookable, match="does not offer initial assessment"):
            book(session, patient.user, settings, other_clinician, "10:00")

    def test_a_mode_the_hours_do_not_offer_is_refused(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician, mode=AvailabilityMode.IN_PERSON)
        with pytest.raises(NotBookable, match="sees patients in person"):
            book(session, patient.user, settings, clinician, "10:00", mode="video")
        physical = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PHYSICAL_THERAPIST)
        open_calendar(session, physical)
        with pytest.raises(NotBookable, match="not offered as video"):
            book(
                session, patient.user, settings, physical, "10:00", type_key="physical_therapy", mode="video"
            )

    def test_the_patients_own_other_appointment_is_named(
        self, session: Session, settings: Settings, clinician: User, other_clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        open_calendar(session, other_clinician)
        book(session, patient.user, settings, clinician, "10:00")
        with pytest.raises(SlotTaken, match="You already have another appointment at that time"):
            book(session, patient.user, settings, other_clinician, "10:30", type_key="psychology")

    def test_a_patient_cannot_book_for_someone_else(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, other_patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        with pytest.raises(NotFound):
            book(session, other_patient.user, settings, clinician, "10:00", patient_id=patient.id)

    def test_staff_book_for_patients_they_may_see(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        other_clinician: User,
        patient: Patient,
        admin: User,
    ) -> None:
        open_calendar(session, clinician)
        assert (
            book(
                session, clinician, settings, clinician, "10:00", patient_id=patient.id
            ).appointment.booked_by_id
            == clinician.id
        )
        with pytest.raises(NotFound):  # not on this patient's care team
            book(session, other_clinician, settings, clinician, "14:00", patient_id=patient.id)
        book(session, admin, settings, clinician, "15:00", patient_id=patient.id)
        reasons = session.scalars(select(AuditEvent.reason).where(AuditEvent.actor_id == admin.id)).all()
        assert scheduling.FRONT_DESK_REASON in reasons


class TestDatabaseRefusesOverlaps:
    """The constraint itself, below the service: rows written directly still cannot overlap."""

    def row(
        self,
        patient: Patient,
        clinician: User,
        start: str,
        end: str,
        *,
        until: str | None = None,
        status: AppointmentStatus = AppointmentStatus.BOOKED,
    ) -> Appointment:
        return Appointment(
            patient_id=patient.id,
            clinician_id=clinician.id,
            appointment_type="follow_up",
            starts_at=london(MONDAY, start),
            ends_at=london(MONDAY, end),
            blocked_from=london(MONDAY, start),
            blocked_until=london(MONDAY, until or end),
            timezone="Europe/London",
            status=status,
        )

    def insert(self, session: Session, appointment: Appointment) -> bool:
        try:
            with session.begin_nested():
                session.add(appointment)
                session.flush()
        except IntegrityError:
            return False
        return True

    def test_an_overlapping_booked_row_is_refused(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        assert self.insert(session, self.row(patient, clinician, "10:00", "10:30", until="10:40"))
        other = create_patient(session)
        assert not self.insert(session, self.row(other, clinician, "10:35", "11:00"))  # inside the buffer
        assert self.insert(
            session, self.row(other, clinician, "10:40", "11:00")
        )  # touching is not overlapping
        assert not self.insert(
            session, self.row(patient, create_user(session), "10:15", "10:45")
        )  # the same patient
        assert self.insert(
            session,
            self.row(
                create_patient(session), clinician, "10:15", "10:30", status=AppointmentStatus.CANCELLED
            ),
        )

    def test_moving_a_row_onto_another_is_refused(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        self.insert(session, self.row(patient, clinician, "10:00", "10:30"))
        moving = self.row(create_patient(session), clinician, "11:00", "11:30")
        self.insert(session, moving)
        with pytest.raises(IntegrityError), session.begin_nested():
            moving.starts_at, moving.blocked_from = london(MONDAY, "10:15"), london(MONDAY, "10:15")
            session.flush()

    def test_reopening_a_cancelled_row_over_a_booking_is_refused(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        cancelled = self.row(
            create_patient(session), clinician, "10:00", "10:30", status=AppointmentStatus.CANCELLED
        )
        self.insert(session, cancelled)
        self.insert(session, self.row(patient, clinician, "10:00", "10:30"))
        with pytest.raises(IntegrityError), session.begin_nested():
            cancelled.status = AppointmentStatus.BOOKED
            session.flush()


class TestRescheduleAndCancel:
    @pytest.fixture
    def booked(self, session: Session, settings: Settings, clinician: User, patient: Patient) -> Appointment:
        open_calendar(session, clinician)
        return book(session, patient.user, settings, clinician, "10:00").appointment

    def test_a_patient_moves_to_another_free_time_and_the_calendar_sequence_goes_up(
        self, session: Session, settings: Settings, patient: Patient, booked: Appointment
    ) -> None:
        view = scheduling.reschedule(
            session, patient.user, settings, booked.id, starts_at=london(MONDAY, "14:00"), now=NOW
        )
        assert (view.appointment.starts_at, view.appointment.sequence) == (london(MONDAY, "14:00"), 1)
        assert view.appointment.blocked_until == london(MONDAY, "15:15")
        moved = session.scalars(
            select(AppointmentChange).where(AppointmentChange.kind == ChangeKind.RESCHEDULED)
        ).one()
        assert (moved.previous_starts_at, moved.starts_at) == (
            london(MONDAY, "10:00"),
            london(MONDAY, "14:00"),
        )
        assert (
            scheduling.unread_notices(session, patient.user) == []
        )  # the patient did it: no message to them

    def test_moving_onto_a_taken_time_changes_nothing(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, booked: Appointment
    ) -> None:
        other = create_patient(session)
        book(session, other.user, settings, clinician, "14:00")
        with pytest.raises(SlotTaken):
            scheduling.reschedule(
                session, patient.user, settings, booked.id, starts_at=london(MONDAY, "14:30"), now=NOW
            )
        session.refresh(booked)
        assert (booked.starts_at, booked.sequence) == (london(MONDAY, "10:00"), 0)

    def test_inside_the_notice_period_the_patient_is_asked_to_call(
        self, session: Session, settings: Settings, patient: Patient, booked: Appointment
    ) -> None:
        late = london(MONDAY - timedelta(days=1), "11:00")  # 23 hours before
        with pytest.raises(
            NoticePeriodPassed, match=r"less than 24 hours away.*call us on \+44 20 7946 0000"
        ):
            scheduling.cancel(session, patient.user, settings, booked.id, now=late)
        with pytest.raises(NoticePeriodPassed):
            scheduling.reschedule(
                session, patient.user, settings, booked.id, starts_at=london(MONDAY, "14:00"), now=late
            )
        assert booked.status == AppointmentStatus.BOOKED
        early = london(MONDAY - timedelta(days=1), "09:59")  # 24 hours and a minute before
        assert (
            scheduling.cancel(session, patient.user, settings, booked.id, now=early).appointment.status
            == AppointmentStatus.CANCELLED
        )

    def test_the_clinics_notice_period_is_a_setting(
        self, session: Session, settings: Settings, patient: Patient, booked: Appointment
    ) -> None:
        strict = settings.model_copy(update={"booking_notice_hours": 72.0})
        with pytest.raises(NoticePeriodPassed, match="less than 72 hours"):
            scheduling.cancel(
                session, patient.user, strict, booked.id, now=london(MONDAY - timedelta(days=2), "09:00")
            )

    def test_a_cancelled_appointment_stays_cancelled(
        self, session: Session, settings: Settings, patient: Patient, booked: Appointment
    ) -> None:
        scheduling.cancel(session, patient.user, settings, booked.id, reason="Feeling better", now=NOW)
        assert booked.sequence == 1 and booked.cancel_reason == "Feeling better"
        with pytest.raises(AppointmentClosed, match="was cancelled on Mon 15 Mar 2027"):
            scheduling.reschedule(
                session, patient.user, settings, booked.id, starts_at=london(MONDAY, "14:00"), now=NOW
            )
        with pytest.raises(AppointmentClosed):
            scheduling.cancel(session, patient.user, settings, booked.id, now=NOW)
        session.refresh(booked)
        assert (booked.status, booked.starts_at, booked.sequence) == (
            AppointmentStatus.CANCELLED,
            london(MONDAY, "10:00"),
            1,
        )

    def test_a_cancelled_time_can_be_booked_again(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, booked: Appointment
    ) -> None:
        scheduling.cancel(session, patient.user, settings, booked.id, now=NOW)
        assert (
            book(session, create_patient(session).user, settings, clinician, "10:00").appointment.status
            == AppointmentStatus.BOOKED
        )

    def test_the_clinician_cancels_and_the_patient_is_told_in_the_app(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, booked: Appointment
    ) -> None:
        scheduling.cancel(
            session, clinician, settings, booked.id, reason="I am unwell", now=london(MONDAY, "08:00")
        )
        notices = scheduling.unread_notices(session, patient.user)
        assert len(notices) == 1
        assert (
            "cancelled your initial assessment" in notices[0].message and "I am unwell" in notices[0].message
        )
        assert "Mon 22 Mar 2027, 10:00 GMT" in notices[0].message
        assert scheduling.home_reminders(session, patient, now=NOW).notices == notices
        scheduling.mark_notice_read(session, patient.user, notices[0].id)
        assert scheduling.unread_notices(session, patient.user) == []

    def test_the_clinic_moving_a_visit_tells_the_patient(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, booked: Appointment
    ) -> None:
        scheduling.reschedule(
            session,
            clinician,
            settings,
            booked.id,
            starts_at=london(MONDAY + timedelta(days=7), "10:00"),
            now=NOW,
        )
        (notice,) = scheduling.unread_notices(session, patient.user)
        assert "from Mon 22 Mar 2027, 10:00 GMT to Mon 29 Mar 2027, 10:00 BST" in notice.message

    def test_only_the_appointments_clinician_or_the_front_desk_cancels(
        self, session: Session, settings: Settings, patient: Patient, booked: Appointment, admin: User
    ) -> None:
        colleague = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
        session.add(access.CareTeamMember(patient_id=patient.id, clinician_id=colleague.id))
        session.flush()
        with pytest.raises(Forbidden, match="Only the clinician of this appointment"):
            scheduling.cancel(session, colleague, settings, booked.id, now=NOW)
        assert (
            scheduling.cancel(session, admin, settings, booked.id, now=NOW).appointment.status
            == AppointmentStatus.CANCELLED
        )

    def test_another_patient_cannot_see_or_change_it(
        self, session: Session, settings: Settings, other_patient: Patient, booked: Appointment
    ) -> None:
        for attempt in (
            lambda: scheduling.get_appointment(session, other_patient.user, booked.id),
            lambda: scheduling.cancel(session, other_patient.user, settings, booked.id, now=NOW),
            lambda: scheduling.reschedule(
                session, other_patient.user, settings, booked.id, starts_at=london(MONDAY, "14:00"), now=NOW
            ),
        ):
            with pytest.raises(NotFound):
                attempt()
        assert booked.status == AppointmentStatus.BOOKED

    def test_attendance_is_marked_after_the_start_only(
        self, session: Session, settings: Settings, clinician: User, patient: Patient, booked: Appointment
    ) -> None:
        with pytest.raises(AppointmentClosed, match="not started yet"):
            scheduling.mark(session, clinician, booked.id, AppointmentStatus.COMPLETED, now=NOW)
        with pytest.raises(Forbidden):
            scheduling.mark(session, patient.user, booked.id, AppointmentStatus.COMPLETED, now=NOW)
        with pytest.raises(AppointmentClosed, match="already started"):
            scheduling.cancel(session, clinician, settings, booked.id, now=london(MONDAY, "10:30"))
        marked = scheduling.mark(
            session, clinician, booked.id, AppointmentStatus.NO_SHOW, now=london(MONDAY, "11:30")
        )
        assert marked.appointment.status == AppointmentStatus.NO_SHOW
        with pytest.raises(AppointmentClosed, match="marked did not attend"):
            scheduling.cancel(session, patient.user, settings, booked.id, now=NOW)


class TestCourse:
    @pytest.fixture
    def therapist(self, session: Session) -> User:
        therapist = create_user(
            session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST, full_name="Dr Course"
        )
        open_calendar(session, therapist, hours=[(d, "10:00", "12:00") for d in (0, 2, 4)])
        return therapist

    def test_the_proposal_is_eight_sessions_two_a_week_at_least_two_days_apart(
        self, session: Session, settings: Settings, patient: Patient, therapist: User
    ) -> None:
        proposal = scheduling.propose_course(session, patient.user, settings, first_day=MONDAY, now=NOW)
        days = [s.astimezone(scheduling.zone_info("Europe/London")).date() for s in proposal.starts]
        assert proposal.clinician.id == therapist.id
        assert days == [MONDAY + timedelta(days=d) for d in (0, 2, 7, 9, 14, 16, 21, 23)]
        assert all(
            s.astimezone(scheduling.zone_info("Europe/London")).hour == 10 for s in proposal.starts
        )  # across the clock change

    def test_the_whole_course_is_booked_in_one_step(
        self, session: Session, settings: Settings, patient: Patient, therapist: User
    ) -> None:
        proposal = scheduling.propose_course(session, patient.user, settings, first_day=MONDAY, now=NOW)
        bookings = scheduling.book_course(
            session,
            patient.user,
            settings,
            clinician_id=therapist.id,
            first_day=MONDAY,
            starts=proposal.starts,
            now=NOW,
        )
        assert len({b.appointment.course_id for b in bookings}) == 1 and len(bookings) == 8
        assert {b.appointment.appointment_type for b in bookings} == {"prt_session"}
        assert bookings[0].joined_care_team

    def test_if_one_session_was_taken_meanwhile_nothing_is_booked(
        self, session: Session, settings: Settings, patient: Patient, therapist: User
    ) -> None:
        proposal = scheduling.propose_course(session, patient.user, settings, first_day=MONDAY, now=NOW)
        someone = create_patient(session)
        scheduling.book(
            session,
            someone.user,
            settings,
            type_key="psychology",
            clinician_id=therapist.id,
            starts_at=proposal.starts[5],
            now=NOW,
        )
        with pytest.raises(
            SlotTaken, match=r"Session 6 \(Wed 07 Apr 2027, 10:00 BST\) was just taken, so nothing was booked"
        ):
            scheduling.book_course(
                session,
                patient.user,
                settings,
                clinician_id=therapist.id,
                first_day=MONDAY,
                starts=proposal.starts,
                now=NOW,
            )
        assert count(session, patient) == 0
        assert not access.is_on_care_team(session, therapist, patient.id)
        fresh = scheduling.propose_course(session, patient.user, settings, first_day=MONDAY, now=NOW)
        assert proposal.starts[5] not in fresh.starts and len(fresh.starts) == 8

    def test_a_set_of_times_that_is_not_a_course_is_refused(
        self, session: Session, settings: Settings, patient: Patient, therapist: User
    ) -> None:
        proposal = scheduling.propose_course(session, patient.user, settings, first_day=MONDAY, now=NOW)
        crowded = [*proposal.starts[:7], proposal.starts[0] + timedelta(days=4)]  # three in week one
        with pytest.raises(InvalidInput, match="2 sessions in each of its 4 weeks"):
            scheduling.book_course(
                session,
                patient.user,
                settings,
                clinician_id=therapist.id,
                first_day=MONDAY,
                starts=crowded,
                now=NOW,
            )
        with pytest.raises(InvalidInput, match="A course has 8 sessions; 7 were given"):
            scheduling.book_course(
                session,
                patient.user,
                settings,
                clinician_id=therapist.id,
                first_day=MONDAY,
                starts=proposal.starts[:7],
                now=NOW,
            )
        assert count(session, patient) == 0

    def test_no_proposal_when_the_weeks_are_too_full(
        self, session: Session, settings: Settings, patient: Patient
    ) -> None:
        busy = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
        open_calendar(session, busy, hours=[(0, "10:00", "12:00")])  # one day a week
        with pytest.raises(SlotTaken, match="not enough free time"):
            scheduling.propose_course(
                session, patient.user, settings, first_day=MONDAY, clinician_id=busy.id, now=NOW
            )


class TestCalendars:
    def test_weekly_hours_are_replaced_and_checked(
        self, session: Session, settings: Settings, clinician: User
    ) -> None:
        hours = [
            scheduling.HoursBlock(
                0, *map(lambda t: __import__("datetime").time.fromisoformat(t), ("09:00", "12:00"))
            )
        ]
        view = scheduling.update_calendar(
            session, clinician, clinician.id, clinic_zone=settings.clinic_timezone, hours=hours
        )
        assert [(h.weekday, h.starts.hour, h.ends.hour) for h in view.hours] == [(0, 9, 12)]
        with pytest.raises(InvalidInput, match="Monday: two blocks of hours overlap"):
            scheduling.update_calendar(
                session,
                clinician,
                clinician.id,
                clinic_zone=settings.clinic_timezone,
                hours=[
                    scheduling.HoursBlock(0, time(9), time(12)),
                    scheduling.HoursBlock(0, time(11), time(13)),
                ],
            )
        with pytest.raises(InvalidInput, match="must end after they start"):
            scheduling.update_calendar(
                session,
                clinician,
                clinician.id,
                clinic_zone=settings.clinic_timezone,
                hours=[scheduling.HoursBlock(2, time(12), time(9))],
            )
        with pytest.raises(InvalidInput, match="not a time zone"):
            scheduling.update_calendar(
                session,
                clinician,
                clinician.id,
                clinic_zone=settings.clinic_timezone,
                timezone="Mars/Olympus",
            )

    def test_a_clinician_manages_only_their_own_calendar(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        other_clinician: User,
        admin: User,
        patient: Patient,
    ) -> None:
        with pytest.raises(Forbidden, match="only see and change your own calendar"):
            scheduling.calendar_for(
                session, clinician, other_clinician.id, clinic_zone=settings.clinic_timezone
            )
        with pytest.raises(Forbidden):
            scheduling.add_exception(
                session,
                clinician,
                other_clinician.id,
                kind=ExceptionKind.SICK,
                first_day=MONDAY,
                clinic_zone=settings.clinic_timezone,
            )
        with pytest.raises(Forbidden):
            scheduling.calendar_for(session, patient.user, clinician.id, clinic_zone=settings.clinic_timezone)
        assert (
            scheduling.calendar_for(
                session, admin, other_clinician.id, clinic_zone=settings.clinic_timezone
            ).clinician.id
            == other_clinician.id
        )

    def test_a_holiday_across_the_clock_change_covers_whole_london_days(
        self, session: Session, settings: Settings, clinician: User
    ) -> None:
        added = scheduling.add_exception(
            session,
            clinician,
            clinician.id,
            kind=ExceptionKind.HOLIDAY,
            first_day=date(2027, 3, 26),
            last_day=date(2027, 3, 29),
            clinic_zone=settings.clinic_timezone,
        )
        # From midnight GMT on Friday 26th to midnight BST after Monday 29th (23:00 UTC on the 29th).
        assert (added.exception.starts_at, added.exception.ends_at) == (
            london(date(2027, 3, 26), "00:00"),
            london(date(2027, 3, 30), "00:00"),
        )
        assert added.exception.ends_at.hour == 23

    def test_time_off_removes_free_times_and_names_bookings_that_fall_in_it(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        book(session, patient.user, settings, clinician, "14:00")
        added = scheduling.add_exception(
            session,
            clinician,
            clinician.id,
            kind=ExceptionKind.AWAY,
            first_day=MONDAY,
            starts=time(13),
            ends=time(17),
            note="Teaching",
            clinic_zone=settings.clinic_timezone,
        )
        assert [v.patient_name for v in added.clashes] == [patient.user.full_name]
        result = scheduling.find_slots(
            session,
            type_key="follow_up",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY, "23:59"),
            clinic_zone=settings.clinic_timezone,
            clinician_id=clinician.id,
            now=NOW,
        )
        assert max(s.ends_at for s in result.slots) <= london(MONDAY, "13:00")
        scheduling.remove_exception(session, clinician, clinician.id, added.exception.id)
        result = scheduling.find_slots(
            session,
            type_key="follow_up",
            start=london(MONDAY, "00:00"),
            end=london(MONDAY, "23:59"),
            clinic_zone=settings.clinic_timezone,
            clinician_id=clinician.id,
            now=NOW,
        )
        assert london(MONDAY, "16:00") in {s.starts_at for s in result.slots}


class TestDashboardAndReminders:
    def test_the_dashboard_shows_each_patients_next_booked_appointment(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        first = book(session, patient.user, settings, clinician, "10:00").appointment
        book(session, patient.user, settings, clinician, "10:00", MONDAY + timedelta(days=1))
        rows = dashboard.caseload(session, clinician, today=NOW.date(), now=NOW).shown
        assert [r.next_appointment for r in rows if r.patient_id == patient.id] == [first.starts_at]
        scheduling.cancel(session, patient.user, settings, first.id, now=NOW)
        assert scheduling.next_appointments(session, [patient.id], NOW) == {
            patient.id: london(MONDAY + timedelta(days=1), "10:00")
        }

    def test_the_home_reminder_appears_a_day_before_and_stays_until_the_start(
        self, session: Session, settings: Settings, clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician)
        a = book(session, patient.user, settings, clinician, "10:00").appointment
        assert (
            scheduling.home_reminders(
                session, patient, now=a.starts_at - timedelta(hours=25)
            ).appointment_reminder
            is None
        )
        day_before = scheduling.home_reminders(session, patient, now=a.starts_at - timedelta(hours=23))
        assert (
            day_before.appointment_reminder is not None
            and day_before.appointment_reminder.minutes_before == 1440
        )
        assert day_before.appointment_reminder.due_at == a.starts_at - timedelta(hours=24)
        hour_before = scheduling.home_reminders(session, patient, now=a.starts_at - timedelta(minutes=30))
        assert (
            hour_before.appointment_reminder is not None
            and hour_before.appointment_reminder.minutes_before == 60
        )
        assert (
            scheduling.home_reminders(
                session, patient, now=a.starts_at + timedelta(minutes=1)
            ).next_appointment
            is None
        )

    def test_the_practice_reminder_comes_at_six_on_the_patients_clock_until_they_practise(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        day = date(2027, 3, 16)
        assert scheduling.home_reminders(session, patient, now=london(day, "19:00")).practice_reminder is None
        intake(session, patient)  # no program yet: nothing to remind of
        version = plans.propose(session, clinician, patient.id, now=london(day - timedelta(days=1), "09:00"))
        plans.sign(session, clinician, patient.id, version.id)
        assert scheduling.home_reminders(session, patient, now=london(day, "17:59")).practice_reminder is None
        due = scheduling.home_reminders(session, patient, now=london(day, "18:01")).practice_reminder
        assert due is not None and due.due_at == london(day, "18:00")
        practise(session, patient, Module.PRT, "somatic_tracking", at=london(day, "18:30"))
        assert scheduling.home_reminders(session, patient, now=london(day, "19:00")).practice_reminder is None
        # The next day starts afresh on the patient's own clock: that week New York is already on summer
        # time and London not yet, so 18:00 there is 22:00 in London.
        patient.timezone = "America/New_York"
        session.flush()
        after_london_six = scheduling.home_reminders(
            session, patient, now=london(day + timedelta(days=1), "18:30")
        )
        assert after_london_six.practice_reminder is None
        new_york = scheduling.home_reminders(session, patient, now=london(day + timedelta(days=1), "22:30"))
        assert new_york.practice_reminder is not None
        assert new_york.practice_reminder.due_at == london(day + timedelta(days=1), "22:00")
