"""The pages: "Book now" with sign-up in the same flow, old links that check state, the course, calendars."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, Discipline, Role, User
from painrewire.config import Settings
from painrewire.notifications.models import OutboundEmail
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.models import Appointment, AppointmentStatus, AvailabilityMode
from tests.fixtures.factories import CSRF, PASSWORD, create_user
from tests.scheduling.builders import london, next_monday, open_calendar

MONDAY = next_monday()


def confirm_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/book/confirm\?[^"]+)"', page)]


def account(email: str = "new.patient@example.org", **extra: str) -> dict[str, str]:
    return {
        "full_name": "Nora New",
        "email": email,
        "password": PASSWORD,
        "timezone": "America/New_York",
        "csrf_token": CSRF,
        **extra,
    }


@pytest.fixture
def visitor(client: TestClient) -> TestClient:
    client.cookies.set("pr_csrf", CSRF)
    return client


@pytest.fixture
def opened(session: Session, clinician: User) -> User:
    open_calendar(session, clinician)
    session.commit()
    return clinician


def users_with(session: Session, email: str) -> int:
    return int(session.scalar(select(func.count()).select_from(User).where(User.email == email)) or 0)


def first_slot(visitor: TestClient, clinician: User) -> tuple[str, dict[str, str]]:
    page = visitor.get(
        "/book",
        params={"type": "initial_assessment", "week": MONDAY.isoformat(), "clinician": str(clinician.id)},
    )
    assert page.status_code == 200
    href = confirm_links(page.text)[0]
    values = {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}
    return href, values


class TestBookNow:
    def test_a_visitor_sees_only_what_new_patients_can_book(self, visitor: TestClient, opened: User) -> None:
        page = visitor.get("/book")
        assert page.status_code == 200
        assert "Initial assessment" in page.text and "Neurofeedback session" not in page.text
        refused = visitor.get("/book", params={"type": "neurofeedback"})
        assert refused.status_code == 422 and "patients already in our care" in refused.text
        unknown = visitor.get("/book", params={"type": "massage"})
        assert unknown.status_code == 422 and "Unknown appointment type" in unknown.text

    def test_times_are_shown_and_labelled_in_the_visitors_zone(
        self, visitor: TestClient, opened: User
    ) -> None:
        page = visitor.get(
            "/book", params={"type": "initial_assessment", "week": MONDAY.isoformat(), "tz": "Asia/Tokyo"}
        )
        assert "Times are shown in <strong>Asia/Tokyo</strong>" in page.text
        # 09:00 in London is 18:00 (winter) or 17:00 (summer) in Tokyo.
        assert re.search(r'<span class="time">1[78]:00</span>', page.text)

    def test_a_new_patient_makes_an_account_confirms_it_and_comes_back_to_book(
        self, session: Session, visitor: TestClient, opened: User
    ) -> None:
        href, values = first_slot(visitor, opened)
        confirm = visitor.get(href)
        assert confirm.status_code == 200 and "Create my account" in confirm.text
        asked = visitor.post("/book/confirm", data={**values, **account(), "mode": "video"})
        assert asked.status_code == 200 and "Check your email" in asked.text
        assert "pr_session" not in visitor.cookies
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
        # The emailed link logs the newcomer in and brings them back to the time they chose.
        link = session.scalar(
            select(OutboundEmail.link_path).where(
                OutboundEmail.to_address == "new.patient@example.org", OutboundEmail.kind == "signup_confirm"
            )
        )
        assert link is not None
        path, _, query = link.partition("?")
        back = visitor.post(
            path, data={"csrf_token": CSRF, "next": parse_qs(query)["next"][0]}, follow_redirects=False
        )
        assert back.status_code == 303 and back.headers["location"].startswith("/book/confirm?")
        assert "Book this appointment" in visitor.get(back.headers["location"]).text
        fresh = back.cookies["pr_csrf"]  # a login gets a new CSRF token
        done = visitor.post(
            "/book/confirm", data={**values, "mode": "video", "csrf_token": fresh}, follow_redirects=False
        )
        assert done.status_code == 303, done.text
        target = done.headers["location"]
        assert target.endswith("?booked=1&joined=1")
        page = visitor.get(target)
        assert "You're booked" in page.text and f"{opened.full_name} has joined your care team" in page.text
        assert re.search(r"E[SD]T</strong>", page.text)  # shown in the patient's own zone
        appointment_id = target.split("/")[3].split("?")[0]
        ics = visitor.get(f"/book/appointments/{appointment_id}/calendar.ics")
        (event,) = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
        assert event.decoded("DTSTART").isoformat() == values["start"]
        patient = session.scalar(
            select(Patient)
            .join(User, User.id == Patient.user_id)
            .where(User.email == "new.patient@example.org")
        )
        assert patient is not None and patient.timezone == "America/New_York"
        assert access.is_on_care_team(session, opened, patient.id)
        appointment = session.get(Appointment, uuid.UUID(appointment_id))
        assert appointment is not None and appointment.mode.value == "video"

    def test_an_email_in_use_books_nothing_makes_no_account_and_answers_as_for_any_other(
        self, session: Session, visitor: TestClient, opened: User, patient: Patient
    ) -> None:
        _, values = first_slot(visitor, opened)
        answer = visitor.post("/book/confirm", data={**values, **account(patient.user.email)})
        assert answer.status_code == 200 and "Check your email" in answer.text
        assert "already" not in answer.text
        assert users_with(session, patient.user.email) == 1
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0

    def test_a_time_taken_meanwhile_is_refused_and_no_account_is_left_behind(
        self, session: Session, settings: Settings, visitor: TestClient, opened: User, other_patient: Patient
    ) -> None:
        _, values = first_slot(visitor, opened)
        scheduling.book(
            session,
            other_patient.user,
            settings,
            type_key="initial_assessment",
            clinician_id=opened.id,
            starts_at=london(MONDAY, "09:00"),
        )
        session.commit()
        answer = visitor.post("/book/confirm", data={**values, **account("late@example.org")})
        assert answer.status_code == 409 and "no longer free" in answer.text
        assert users_with(session, "late@example.org") == 0

    def test_too_many_new_accounts_from_one_address_books_nothing_and_says_when_to_try_again(
        self, session: Session, settings: Settings, visitor: TestClient, opened: User
    ) -> None:
        settings.signups_per_client = 1
        first = {"email": "first@example.org", "full_name": "First From Here", "password": PASSWORD}
        assert visitor.post("/api/v1/signup", json=first).status_code == 202
        _, values = first_slot(visitor, opened)
        answer = visitor.post("/book/confirm", data={**values, **account("farmed@example.org")})
        assert answer.status_code == 429 and "Too many new accounts" in answer.text
        assert int(answer.headers["Retry-After"]) > 0
        assert users_with(session, "farmed@example.org") == 0
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0

    def test_a_weak_password_is_explained_and_nothing_is_stored(
        self, session: Session, visitor: TestClient, opened: User
    ) -> None:
        _, values = first_slot(visitor, opened)
        answer = visitor.post(
            "/book/confirm", data={**values, **account("weak@example.org", password="short")}
        )
        assert answer.status_code == 422 and "password" in answer.text
        assert users_with(session, "weak@example.org") == 0

    def test_a_logged_in_patient_books_without_a_form(
        self, session: Session, as_user: Callable[..., TestClient], opened: User, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        _, values = first_slot(browser, opened)
        done = browser.post("/book/confirm", data={**values, "csrf_token": CSRF}, follow_redirects=False)
        assert done.status_code == 303 and "joined" not in done.headers["location"]

    def test_a_refused_booking_keeps_no_audit_row_of_a_booking_that_never_happened(
        self, session: Session, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        open_calendar(session, clinician, mode=AvailabilityMode.IN_PERSON)
        session.commit()
        browser = as_user(patient.user, browser=True)
        _, values = first_slot(browser, clinician)

        refused = browser.post("/book/confirm", data={**values, "mode": "video", "csrf_token": CSRF})

        assert refused.status_code == 422
        assert "sees patients in person" in refused.text and "Confirm your booking" in refused.text
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
        created = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.CREATE, AuditEvent.resource_type == "appointment"
            )
        ).all()
        assert created == []


class TestBadAddresses:
    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"type": "massage"}, "Unknown appointment type 'massage'"),
            ({"type": "initial_assessment", "week": "2027-13-45"}, "week: '2027-13-45' is not a date"),
            ({"type": "initial_assessment", "week": "9999-12-31"}, "week: 9999-12-31 is out of range."),
            ({"type": "initial_assessment", "tz": "Mars/Phobos"}, "'Mars/Phobos' is not a time zone"),
            ({"type": "initial_assessment", "mode": "teleport"}, "Choose in person or video."),
            ({"type": "follow_up"}, "booked by patients already in our care"),
        ],
    )
    def test_a_bad_search_address_is_explained_with_422(
        self, visitor: TestClient, opened: User, query: dict[str, str], message: str
    ) -> None:
        page = visitor.get("/book", params=query)
        assert page.status_code == 422
        assert message in html.unescape(page.text)

    def test_a_week_beyond_the_booking_horizon_shows_the_last_bookable_week(
        self, visitor: TestClient, opened: User
    ) -> None:
        page = visitor.get("/book", params={"type": "initial_assessment", "week": "2150-01-05"})
        assert page.status_code == 200
        assert "Later →" not in page.text and "← Earlier" in page.text

    @pytest.mark.parametrize(
        ("start", "message"),
        [
            ("garbage", "That time could not be read"),
            ("2027-01-01T10:00", "Give the time with its time zone"),
            ("9999-12-31T23:00:00+00:00", "start: 9999-12-31 is out of range."),
        ],
    )
    def test_a_bad_confirmation_link_is_explained_with_422(
        self, visitor: TestClient, opened: User, start: str, message: str
    ) -> None:
        page = visitor.get(
            "/book/confirm",
            params={"type": "initial_assessment", "clinician": str(opened.id), "start": start},
        )
        assert page.status_code == 422
        assert message in html.unescape(page.text)


class TestOldLinks:
    @pytest.fixture
    def booked(self, session: Session, settings: Settings, opened: User, patient: Patient) -> Appointment:
        appointment = scheduling.book(
            session,
            patient.user,
            settings,
            type_key="initial_assessment",
            clinician_id=opened.id,
            starts_at=london(MONDAY, "10:00"),
        ).appointment
        session.commit()
        return appointment

    def test_a_cancelled_booking_cannot_be_moved_from_an_old_link(
        self, as_user: Callable[..., TestClient], patient: Patient, booked: Appointment
    ) -> None:
        browser = as_user(patient.user, browser=True)
        cancel = browser.post(
            f"/book/appointments/{booked.id}/cancel",
            data={"confirm": "yes", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert cancel.status_code == 303
        old = browser.get(f"/book/appointments/{booked.id}/reschedule")
        assert old.status_code == 409 and "was cancelled" in old.text
        move = browser.post(
            f"/book/appointments/{booked.id}/reschedule",
            data={"start": london(MONDAY, "14:00").isoformat(), "csrf_token": CSRF},
        )
        assert move.status_code == 409 and "cannot be changed" in move.text
        again = browser.post(
            f"/book/appointments/{booked.id}/cancel", data={"confirm": "yes", "csrf_token": CSRF}
        )
        assert again.status_code == 409

    def test_the_reschedule_page_offers_the_same_clinicians_free_times(
        self, as_user: Callable[..., TestClient], patient: Patient, booked: Appointment
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get(f"/book/appointments/{booked.id}/reschedule", params={"week": MONDAY.isoformat()})
        assert page.status_code == 200
        choices = re.findall(r'name="start" value="([^"]+)"', page.text)
        assert (
            london(MONDAY, "10:00").isoformat() not in choices
            and london(MONDAY, "14:00").isoformat() in choices
        )
        moved = browser.post(
            f"/book/appointments/{booked.id}/reschedule",
            data={"start": london(MONDAY, "14:00").isoformat(), "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert moved.status_code == 303

    def test_another_patient_gets_404_everywhere(
        self, as_user: Callable[..., TestClient], other_patient: Patient, booked: Appointment
    ) -> None:
        browser = as_user(other_patient.user, browser=True)
        for path in ("", "/reschedule", "/calendar.ics"):
            assert browser.get(f"/book/appointments/{booked.id}{path}").status_code == 404
        assert (
            browser.post(
                f"/book/appointments/{booked.id}/cancel", data={"confirm": "yes", "csrf_token": CSRF}
            ).status_code
            == 404
        )


class TestCoursePage:
    def test_the_course_is_shown_before_booking_and_booked_in_one_click(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        therapist = create_user(
            session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST, full_name="Dr Ada Course"
        )
        open_calendar(session, therapist)
        session.commit()
        browser = as_user(patient.user, browser=True)
        page = browser.get(
            "/book/course", params={"first_day": MONDAY.isoformat(), "clinician": str(therapist.id)}
        )
        assert page.status_code == 200 and "Your course with Dr Ada Course" in page.text
        starts = re.findall(r'name="starts" value="([^"]+)"', page.text)
        assert len(starts) == 8 and page.text.count("Session ") >= 8
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0  # nothing booked by looking
        done = browser.post(
            "/book/course",
            data={
                "clinician": str(therapist.id),
                "first_day": MONDAY.isoformat(),
                "mode": "",
                "starts": starts,
                "csrf_token": CSRF,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"].startswith(
            "/patient/appointments?course=1"
        )
        listing = browser.get(done.headers["location"])
        assert listing.text.count("Pain reprocessing therapy session with Dr Ada Course") == 8
        # The course page shows each session on the patient's own clock, named with its zone.
        patient.timezone = "America/New_York"
        session.commit()
        first = datetime.fromisoformat(starts[0]).astimezone(ZoneInfo("America/New_York"))
        course_page = browser.get("/patient/prt")
        assert course_page.status_code == 200
        assert f"{first:%a %d %b, %H:%M %Z}" in course_page.text


class TestStaffPages:
    def test_a_clinician_saves_weekly_hours_in_the_browser(
        self, session: Session, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        assert (
            browser.get("/clinic/calendars", follow_redirects=False).headers["location"]
            == f"/clinic/calendars/{clinician.id}"
        )
        form = {
            "hours_form": "1",
            "h0_0_starts": "09:00",
            "h0_0_ends": "12:00",
            "h0_0_mode": "video",
            "csrf_token": CSRF,
        }
        saved = browser.post(f"/clinic/calendars/{clinician.id}/hours", data=form, follow_redirects=False)
        assert saved.status_code == 303
        view = scheduling.calendar_for(session, clinician, clinician.id, clinic_zone="Europe/London")
        assert [(h.weekday, h.starts.hour, h.ends.hour, h.mode.value) for h in view.hours] == [
            (0, 9, 12, "video")
        ]
        half = browser.post(f"/clinic/calendars/{clinician.id}/hours", data={**form, "h1_0_starts": "09:00"})
        assert half.status_code == 422 and "Tuesday: give both a start and an end time" in half.text

    def test_the_front_desk_opens_any_calendar_and_closes_it_to_online_booking(
        self,
        session: Session,
        as_user: Callable[..., TestClient],
        opened: User,
        other_clinician: User,
        admin: User,
        visitor: TestClient,
    ) -> None:
        desk = as_user(admin, browser=True)
        listing = desk.get("/clinic/calendars")
        assert listing.status_code == 200
        assert opened.full_name in listing.text and other_clinician.full_name in listing.text
        hours = desk.post(
            f"/clinic/calendars/{other_clinician.id}/hours",
            data={"hours_form": "1", "h2_0_starts": "13:00", "h2_0_ends": "18:00", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert hours.status_code == 303
        assert "Working hours saved." in desk.get(hours.headers["location"]).text
        closed = desk.post(
            f"/clinic/calendars/{opened.id}/settings",
            data={"timezone": "Europe/Dublin", "location": "Room 5", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert closed.status_code == 303
        session.expire_all()
        view = scheduling.calendar_for(session, admin, opened.id, clinic_zone="Europe/London")
        assert (view.calendar.timezone, view.calendar.location, view.calendar.accepts_online_booking) == (
            "Europe/Dublin",
            "Room 5",
            False,
        )
        other = scheduling.calendar_for(session, admin, other_clinician.id, clinic_zone="Europe/London")
        assert [(h.weekday, h.starts.hour, h.ends.hour) for h in other.hours] == [(2, 13, 18)]
        page = visitor.get("/book", params={"type": "initial_assessment", "week": MONDAY.isoformat()})
        assert page.status_code == 200 and opened.full_name not in page.text  # no longer offered online

    def test_a_clinician_cannot_open_a_colleagues_calendar(
        self, as_user: Callable[..., TestClient], clinician: User, other_clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        assert browser.get(f"/clinic/calendars/{other_clinician.id}").status_code == 403
        assert (
            browser.post(
                f"/clinic/calendars/{other_clinician.id}/hours", data={"hours_form": "1", "csrf_token": CSRF}
            ).status_code
            == 403
        )

    def test_time_off_added_in_the_browser_names_the_bookings_it_hits(
        self,
        session: Session,
        settings: Settings,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
    ) -> None:
        scheduling.book(
            session,
            patient.user,
            settings,
            type_key="initial_assessment",
            clinician_id=opened.id,
            starts_at=london(MONDAY, "10:00"),
        )
        session.commit()
        page = as_user(opened, browser=True).post(
            f"/clinic/calendars/{opened.id}/exceptions",
            data={"kind": "sick", "first_day": MONDAY.isoformat(), "csrf_token": CSRF},
        )
        assert (
            page.status_code == 200
            and "1 booked appointment falls in this time" in page.text
            and patient.user.full_name in page.text
        )

    def test_the_week_view_and_the_clinic_view(
        self,
        session: Session,
        settings: Settings,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
        admin: User,
    ) -> None:
        scheduling.book(
            session,
            patient.user,
            settings,
            type_key="initial_assessment",
            clinician_id=opened.id,
            starts_at=london(MONDAY, "10:00"),
        )
        session.commit()
        week = as_user(opened, browser=True).get("/clinician/calendar", params={"week": MONDAY.isoformat()})
        assert patient.user.full_name in week.text and "10:00–11:00" in week.text
        desk = as_user(admin, browser=True).get("/clinic/schedule", params={"day": MONDAY.isoformat()})
        assert desk.status_code == 200 and patient.user.full_name in desk.text
        assert as_user(opened, browser=True).get("/clinic/schedule").status_code == 403

    def test_a_clinician_cancels_and_the_patient_sees_it_on_their_home_page(
        self,
        session: Session,
        settings: Settings,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
    ) -> None:
        appointment = scheduling.book(
            session,
            patient.user,
            settings,
            type_key="initial_assessment",
            clinician_id=opened.id,
            starts_at=london(MONDAY, "10:00"),
        ).appointment
        session.commit()
        staff = as_user(opened, browser=True)
        done = staff.post(
            f"/clinic/appointments/{appointment.id}/cancel",
            data={"confirm": "yes", "reason": "Clinic closed for repairs", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert done.status_code == 303
        home = as_user(patient.user, browser=True)
        page = home.get("/patient")
        assert (
            "The clinic cancelled your initial assessment" in page.text
            and "Clinic closed for repairs" in page.text
        )
        notice_id = re.search(r"/patient/notices/([0-9a-f-]+)/read", page.text).group(1)  # type: ignore[union-attr]
        home.post(f"/patient/notices/{notice_id}/read", data={"back": "/patient", "csrf_token": CSRF})
        assert "Clinic closed for repairs" not in home.get("/patient").text
        session.refresh(appointment)
        assert appointment.status == AppointmentStatus.CANCELLED


class TestFeedPage:
    def test_the_secret_address_is_shown_once(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        made = browser.post("/patient/calendar-feed", data={"action": "create", "csrf_token": CSRF})
        url = re.search(r'value="(http[^"]+/calendar/[^"]+\.ics)"', made.text)
        assert url is not None
        later = browser.get("/patient/appointments")
        assert url.group(1) not in later.text and "Your calendar feed is on" in later.text
