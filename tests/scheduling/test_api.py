"""The JSON API: public free times that leak nothing, booking and its refusals, the course, calendars, feeds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.patients.models import Patient
from painrewire.scheduling.models import CalendarFeed
from tests.fixtures.factories import create_patient, create_user
from tests.scheduling.builders import london, next_monday, open_calendar

MONDAY = next_monday()


def slot(clock: str, day_offset: int = 0) -> str:
    return london(MONDAY + timedelta(days=day_offset), clock).isoformat()


def booking(clinician: User, clock: str = "10:00", **extra: Any) -> dict[str, Any]:
    return {
        "appointment_type": "initial_assessment",
        "clinician_id": str(clinician.id),
        "starts_at": slot(clock),
        **extra,
    }


@pytest.fixture
def opened(session: Session, clinician: User) -> User:
    open_calendar(session, clinician)
    session.commit()
    return clinician


class TestPublicSearch:
    def test_types_and_clinicians_are_public_and_show_no_account_details(
        self, client: TestClient, opened: User
    ) -> None:
        types = client.get("/api/v1/booking/types").json()
        assert {t["key"]: t["minutes"] for t in types} == {
            "initial_assessment": 60, "prt_session": 50, "physical_therapy": 45,
            "psychology": 50, "neurofeedback": 45, "follow_up": 30,
        }  # fmt: skip
        people = client.get(
            "/api/v1/booking/clinicians", params={"appointment_type": "initial_assessment"}
        ).json()
        assert people == [
            {"id": str(opened.id), "full_name": opened.full_name, "discipline": "pain_specialist"}
        ]

    def test_free_times_in_the_visitors_zone_never_show_who_booked(
        self, client: TestClient, as_user: Callable[..., TestClient], opened: User, patient: Patient
    ) -> None:
        booked = as_user(patient.user).post("/api/v1/appointments", json=booking(opened))
        assert booked.status_code == 201, booked.text
        answer = client.get(
            "/api/v1/booking/slots",
            params={
                "appointment_type": "initial_assessment",
                "start": MONDAY.isoformat(),
                "days": 1,
                "timezone": "America/New_York",
            },
        )
        assert answer.status_code == 200
        body = answer.json()
        starts = [s["starts_at"] for s in body["slots"]]
        assert london(MONDAY, "10:00").isoformat().replace("+00:00", "Z") not in starts
        assert all(s["local_start"].endswith(("-05:00", "-04:00")) for s in body["slots"])
        assert body["slots"][0]["label"].endswith(("EST", "EDT"))
        for secret in (patient.user.full_name, patient.user.email, booked.json()["appointment"]["id"]):
            assert secret not in answer.text

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"appointment_type": "massage"}, "Unknown appointment type 'massage'"),
            ({"appointment_type": "follow_up", "timezone": "Mars/Base"}, "'Mars/Base' is not a time zone"),
            ({"appointment_type": "follow_up", "days": 90}, "days: Input should be less than or equal to 56"),
            (
                {"appointment_type": "follow_up", "start": "next tuesday"},
                "start: Input should be a valid date",
            ),
            (
                {"appointment_type": "follow_up", "clinician_id": str(uuid.uuid4())},
                "does not offer follow-up online",
            ),
            ({"appointment_type": "follow_up", "start": "9999-12-31"}, "9999-12-31 is out of range"),
        ],
    )
    def test_bad_searches_get_a_readable_422(
        self, client: TestClient, opened: User, params: dict[str, Any], message: str
    ) -> None:
        answer = client.get("/api/v1/booking/slots", params=params)
        assert answer.status_code == 422
        assert message in str(answer.json()["detail"])


class TestBookingApi:
    def test_anonymous_cannot_book(self, client: TestClient, opened: User) -> None:
        assert client.post("/api/v1/appointments", json=booking(opened)).status_code == 401

    def test_a_patient_books_and_is_told_the_clinician_joined_the_team(
        self, session: Session, as_user: Callable[..., TestClient], opened: User
    ) -> None:
        newcomer = create_patient(session)
        session.commit()
        api = as_user(newcomer.user)
        answer = api.post("/api/v1/appointments", json=booking(opened, mode="video"))
        assert answer.status_code == 201
        body = answer.json()
        assert body["joined_care_team"] is True
        assert body["appointment"]["mode"] == "video" and body["appointment"]["can_change_online"] is True
        assert [a["id"] for a in api.get("/api/v1/appointments").json()] == [body["appointment"]["id"]]

    def test_the_second_request_for_a_time_gets_409(
        self,
        session: Session,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
        other_patient: Patient,
    ) -> None:
        assert as_user(patient.user).post("/api/v1/appointments", json=booking(opened)).status_code == 201
        second = as_user(other_patient.user).post("/api/v1/appointments", json=booking(opened))
        assert second.status_code == 409
        assert second.json() == {
            "error": "SlotTaken",
            "detail": "That time was just taken. Please choose another time.",
        }

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"appointment_type": "reiki"}, "Unknown appointment type 'reiki'"),
            ({"starts_at": "2020-01-06T10:00:00Z"}, "That time is in the past."),
            ({"starts_at": slot("20:00")}, "is not working then"),
            (
                {"starts_at": slot("10:00").replace("+00:00", "")},
                "starts_at: Input should have timezone info",
            ),
            ({"mode": "telepathy"}, "mode: Input should be 'in_person' or 'video'"),
            ({"clinician_id": "not-a-uuid"}, "clinician_id: Input should be a valid UUID"),
            ({"starts_at": "9999-12-31T23:30:00+00:00"}, "starts_at: 9999-12-31 is out of range."),
        ],
    )
    def test_bad_bookings_get_a_readable_422(
        self,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
        change: dict[str, str],
        message: str,
    ) -> None:
        api = as_user(patient.user)
        answer = api.post("/api/v1/appointments", json={**booking(opened), **change})
        assert answer.status_code == 422, answer.text
        assert message in str(answer.json()["detail"])
        assert api.get("/api/v1/appointments").json() == []

    def test_moving_and_cancelling_through_the_api(
        self, as_user: Callable[..., TestClient], opened: User, patient: Patient, other_patient: Patient
    ) -> None:
        api = as_user(patient.user)
        appointment = api.post("/api/v1/appointments", json=booking(opened)).json()["appointment"]
        moved = api.post(
            f"/api/v1/appointments/{appointment['id']}/reschedule", json={"starts_at": slot("14:00")}
        )
        assert moved.status_code == 200 and moved.json()["sequence"] == 1
        outsider = as_user(other_patient.user)
        assert outsider.get(f"/api/v1/appointments/{appointment['id']}").status_code == 404
        assert outsider.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={}).status_code == 404
        cancelled = api.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={"reason": "Away"})
        assert cancelled.json()["status"] == "cancelled"
        again = api.post(
            f"/api/v1/appointments/{appointment['id']}/reschedule", json={"starts_at": slot("15:00")}
        )
        assert again.status_code == 409 and "was cancelled" in again.json()["detail"]

    def test_an_administrator_lists_a_patients_appointments_only_with_a_reason(
        self, as_user: Callable[..., TestClient], opened: User, patient: Patient, admin: User
    ) -> None:
        as_user(patient.user).post("/api/v1/appointments", json=booking(opened))
        desk = as_user(admin)
        assert desk.get(f"/api/v1/patients/{patient.id}/appointments").status_code == 403
        listed = desk.get(
            f"/api/v1/patients/{patient.id}/appointments", params={"reason": "patient phoned to check"}
        )
        assert listed.status_code == 200 and len(listed.json()) == 1

    def test_the_course_is_proposed_then_booked_in_one_request(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        therapist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
        open_calendar(session, therapist)
        session.commit()
        api = as_user(patient.user)
        proposal = api.get(
            "/api/v1/appointments/course/proposal",
            params={"first_day": MONDAY.isoformat(), "preferred_time": "11:00"},
        )
        assert proposal.status_code == 200, proposal.text
        sessions = proposal.json()["sessions"]
        assert len(sessions) == 8 and all("11:00" in s["label"] for s in sessions)
        booked = api.post(
            "/api/v1/appointments/course",
            json={
                "clinician_id": str(therapist.id),
                "first_day": MONDAY.isoformat(),
                "starts": [s["starts_at"] for s in sessions],
            },
        )
        assert booked.status_code == 201
        assert len(booked.json()["appointments"]) == 8 and booked.json()["joined_care_team"] is True


class TestCalendarsApi:
    def test_a_clinician_sets_their_hours_but_not_a_colleagues(
        self, as_user: Callable[..., TestClient], clinician: User, other_clinician: User, admin: User
    ) -> None:
        hours = {
            "hours": [{"weekday": 0, "starts": "08:00", "ends": "12:00", "mode": "video"}],
            "location": "Room 4",
        }
        own = as_user(clinician).put(f"/api/v1/clinicians/{clinician.id}/calendar", json=hours)
        assert own.status_code == 200
        assert own.json()["hours"] == [
            {"weekday": 0, "starts": "08:00:00", "ends": "12:00:00", "mode": "video"}
        ]
        assert (
            as_user(clinician)
            .put(f"/api/v1/clinicians/{other_clinician.id}/calendar", json=hours)
            .status_code
            == 403
        )
        assert (
            as_user(admin).put(f"/api/v1/clinicians/{other_clinician.id}/calendar", json=hours).status_code
            == 200
        )
        bad = as_user(clinician).put(
            f"/api/v1/clinicians/{clinician.id}/calendar",
            json={"hours": [{"weekday": 7, "starts": "08:00", "ends": "09:00"}]},
        )
        assert bad.status_code == 422 and "weekday" in str(bad.json()["detail"])

    def test_time_off_lists_the_bookings_it_clashes_with(
        self, as_user: Callable[..., TestClient], opened: User, patient: Patient
    ) -> None:
        as_user(patient.user).post("/api/v1/appointments", json=booking(opened))
        staff = as_user(opened)
        added = staff.post(
            f"/api/v1/clinicians/{opened.id}/calendar/exceptions",
            json={"kind": "sick", "first_day": MONDAY.isoformat(), "note": "flu"},
        )
        assert added.status_code == 201
        assert [a["starts_at"] for a in added.json()["clashing_appointments"]] == [
            slot("10:00").replace("+00:00", "Z")
        ]
        exception_id = added.json()["exception"]["id"]
        assert (
            staff.delete(f"/api/v1/clinicians/{opened.id}/calendar/exceptions/{exception_id}").status_code
            == 204
        )


def parse(body: bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


class TestCalendarFeed:
    def test_the_feed_holds_every_appointment_with_alarms_and_follows_changes(
        self,
        session: Session,
        client: TestClient,
        as_user: Callable[..., TestClient],
        opened: User,
        patient: Patient,
    ) -> None:
        api = as_user(patient.user)
        first = api.post("/api/v1/appointments", json=booking(opened)).json()["appointment"]
        second = api.post("/api/v1/appointments", json=booking(opened, starts_at=slot("10:00", 1))).json()[
            "appointment"
        ]
        made = api.post("/api/v1/calendar-feed", json={"action": "create"}).json()
        token = made["url"].rsplit("/", 1)[1].removesuffix(".ics")
        stored = session.scalars(select(CalendarFeed.token_hash)).all()
        assert token not in stored and len(stored[0]) == 64  # only the SHA-256 is kept
        path = f"/calendar/{token}.ics"

        answer = client.get(path)  # no login: the secret address is the key
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
        events = parse(answer.content)
        uid = f"{first['id']}@painrewire"
        assert set(events) == {uid, f"{second['id']}@painrewire"}
        event = events[uid]
        start = event.decoded("DTSTART")
        assert start == london(MONDAY, "10:00") and start.utcoffset() == timedelta(0)
        assert answer.text.count("DTSTART:") == 2 and "Z\r\n" in answer.text.split("DTSTART:")[1][:20]
        assert (int(str(event["SEQUENCE"])), str(event["STATUS"])) == (0, "CONFIRMED")
        assert sorted(a.decoded("TRIGGER") for a in event.walk("VALARM")) == [
            timedelta(hours=-24),
            timedelta(hours=-1),
        ]
        assert opened.full_name in str(event["SUMMARY"])

        api.post(f"/api/v1/appointments/{first['id']}/reschedule", json={"starts_at": slot("14:00")})
        moved = parse(client.get(path).content)[uid]
        assert (int(str(moved["SEQUENCE"])), moved.decoded("DTSTART")) == (1, london(MONDAY, "14:00"))
        api.post(f"/api/v1/appointments/{first['id']}/cancel", json={})
        cancelled = parse(client.get(path).content)[uid]
        assert (int(str(cancelled["SEQUENCE"])), str(cancelled["STATUS"])) == (2, "CANCELLED")
        assert cancelled.walk("VALARM") == []

    def test_a_new_address_ends_the_old_one_and_revoking_ends_both(
        self, client: TestClient, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        api = as_user(patient.user)
        old = api.post("/api/v1/calendar-feed", json={"action": "create"}).json()["url"]
        new = api.post("/api/v1/calendar-feed", json={"action": "create"}).json()["url"]
        assert old != new
        tail = lambda url: url.split("/calendar/", 1)[1]  # noqa: E731
        assert client.get(f"/calendar/{tail(old)}").status_code == 404
        assert client.get(f"/calendar/{tail(new)}").status_code == 200
        assert api.get("/api/v1/calendar-feed").json()["active"] is True
        api.post("/api/v1/calendar-feed", json={"action": "revoke"})
        assert client.get(f"/calendar/{tail(new)}").status_code == 404
        assert client.get("/calendar/guessed-token.ics").status_code == 404

    def test_a_clinicians_feed_shows_initials_not_patient_names(
        self, client: TestClient, as_user: Callable[..., TestClient], opened: User, patient: Patient
    ) -> None:
        as_user(patient.user).post("/api/v1/appointments", json=booking(opened))
        url = as_user(opened).post("/api/v1/calendar-feed", json={"action": "create"}).json()["url"]
        body = client.get("/calendar/" + url.split("/calendar/", 1)[1])
        (event,) = parse(body.content).values()
        initials = "".join(p[0] for p in patient.user.full_name.split()).upper()
        assert str(event["SUMMARY"]) == f"Initial assessment — {initials}"
        assert patient.user.full_name not in body.text and patient.user.email not in body.text

    def test_one_appointment_downloads_as_ics_with_the_same_uid(
        self, as_user: Callable[..., TestClient], opened: User, patient: Patient
    ) -> None:
        api = as_user(patient.user)
        appointment = api.post("/api/v1/appointments", json=booking(opened)).json()["appointment"]
        answer = api.get(f"/api/v1/appointments/{appointment['id']}/ics")
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
        assert list(parse(answer.content)) == [f"{appointment['id']}@painrewire"]


class TestNoticesApi:
    def test_a_clinic_cancellation_is_an_unread_notice_until_read(
        self, as_user: Callable[..., TestClient], opened: User, patient: Patient, other_patient: Patient
    ) -> None:
        api = as_user(patient.user)
        appointment = api.post("/api/v1/appointments", json=booking(opened)).json()["appointment"]
        assert (
            as_user(opened)
            .post(f"/api/v1/appointments/{appointment['id']}/cancel", json={"reason": "Unwell"})
            .status_code
            == 200
        )
        (notice,) = api.get("/api/v1/notices").json()
        assert "Unwell" in notice["message"] and notice["appointment_id"] == appointment["id"]
        assert as_user(other_patient.user).post(f"/api/v1/notices/{notice['id']}/read").status_code == 404
        assert api.post(f"/api/v1/notices/{notice['id']}/read").json()["read_at"] is not None
        assert api.get("/api/v1/notices").json() == []
