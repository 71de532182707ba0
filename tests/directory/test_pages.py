"""The public list of clinicians, its filters and booking links, profiles, and the outside services list."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.directory import service as directory
from painrewire.directory.models import ClinicianProfile, ExternalService, Modality, ServiceKind
from painrewire.directory.schemas import ProfileUpdate
from painrewire.scheduling.models import CalendarException, ExceptionKind
from tests.fixtures.factories import CSRF, create_user
from tests.scheduling.builders import LONDON, london, next_monday, open_calendar

Browser = Callable[..., TestClient]
MONDAY = next_monday()


def clinician_of(
    session: Session,
    discipline: Discipline,
    name: str,
    *,
    languages: list[str] | None = None,
    modalities: list[Modality] | None = None,
    away_until_monday: bool = True,
    listed: bool = True,
) -> User:
    """A clinician with Monday-Friday 09:00-17:00 hours, away until ``MONDAY`` so the next free time is known."""
    user = create_user(session, role=Role.CLINICIAN, discipline=discipline, full_name=name)
    open_calendar(session, user)
    if away_until_monday:
        session.add(
            CalendarException(
                clinician_id=user.id,
                kind=ExceptionKind.AWAY,
                starts_at=datetime.now(UTC),
                ends_at=london(MONDAY, "00:00"),
            )
        )
    directory.update_profile(
        session,
        user if listed else create_user(session, role=Role.ADMIN),
        user.id,
        ProfileUpdate(
            qualifications=f"Qualified {name}",
            languages=languages or ["English"],
            modalities=modalities or [],
            bio=f"About {name}.",
            listed=listed,
        ),
    )
    session.flush()
    return user


@pytest.fixture
def visitor(client: TestClient) -> TestClient:
    client.cookies.set("pr_csrf", CSRF)
    return client


@pytest.fixture
def team(session: Session) -> dict[Discipline, User]:
    found = {
        Discipline.PAIN_SPECIALIST: clinician_of(
            session,
            Discipline.PAIN_SPECIALIST,
            "Dr Ada Pain",
            languages=["English", "Yoruba"],
            modalities=[Modality.MEDICAL_ASSESSMENT, Modality.PAIN_EDUCATION],
        ),
        Discipline.PHYSICAL_THERAPIST: clinician_of(
            session,
            Discipline.PHYSICAL_THERAPIST,
            "Sam Move",
            languages=["English", "Swedish"],
            modalities=[Modality.GRADED_MOVEMENT, Modality.GRADED_MOTOR_IMAGERY],
        ),
        Discipline.PSYCHOLOGIST: clinician_of(
            session,
            Discipline.PSYCHOLOGIST,
            "Dr Priya Mind",
            languages=["English", "Spanish"],
            modalities=[Modality.PAIN_REPROCESSING, Modality.CBT],
        ),
        Discipline.NEUROFEEDBACK_PRACTITIONER: clinician_of(
            session,
            Discipline.NEUROFEEDBACK_PRACTITIONER,
            "Tomás Wave",
            languages=["Spanish"],
            modalities=[Modality.NEUROFEEDBACK],
        ),
    }
    session.commit()
    return found


def words(page: str) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def names_on(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<h2 id="name-[^"]+">([^<]+)</h2>', page)]


def book_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/book\?[^"]+)"', page)]


@contextmanager
def counted_selects(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", count)


class TestDirectory:
    def test_anyone_sees_each_clinician_with_what_they_publish(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        page = visitor.get("/clinicians")
        assert page.status_code == 200
        assert names_on(page.text) == [
            "Dr Ada Pain",
            "Sam Move",
            "Dr Priya Mind",
            "Tomás Wave",
        ]  # by discipline
        text = html.unescape(page.text)
        for expected in (
            "Pain specialist",
            "Qualified Dr Ada Pain",
            "About Sam Move.",
            "English, Yoruba",
            "Graded movement and exercise, Graded motor imagery",
        ):
            assert expected in text

    def test_the_next_free_time_comes_from_the_calendar(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        # Everyone is away until MONDAY 00:00 and works from 09:00: the first free time is MONDAY 09:00.
        first = london(MONDAY, "09:00").astimezone(directory_zone())
        page = words(visitor.get("/clinicians").text)
        assert f"Next free for initial assessment: {first:%a %d %b, %H:%M}" in page
        assert f"Next free for physical therapy: {first:%a %d %b, %H:%M}" in page
        assert f"Next free for psychology session: {first:%a %d %b, %H:%M}" in page
        assert f"Next free for neurofeedback session: {first:%a %d %b, %H:%M}" in page
        assert "For patients already in our care." in page  # neurofeedback is not booked by newcomers

    def test_a_clinician_without_hours_is_listed_without_a_time(
        self, session: Session, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST, full_name="Dr New Hire")
        session.commit()
        page = visitor.get("/clinicians?discipline=psychologist").text
        assert names_on(page) == ["Dr New Hire", "Dr Priya Mind"]
        page = words(page)
        assert "No free time online in the next 4 weeks" in page

    def test_unlisted_and_inactive_clinicians_are_left_out(
        self, session: Session, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        clinician_of(session, Discipline.PSYCHOLOGIST, "Dr Hidden", listed=False)
        team[Discipline.PHYSICAL_THERAPIST].is_active = False
        session.commit()
        assert names_on(visitor.get("/clinicians").text) == ["Dr Ada Pain", "Dr Priya Mind", "Tomás Wave"]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("discipline=physical_therapist", ["Sam Move"]),
            ("language=spanish", ["Dr Priya Mind", "Tomás Wave"]),
            ("language=Spanish&discipline=psychologist", ["Dr Priya Mind"]),
            ("modality=graded_motor_imagery", ["Sam Move"]),
            ("modality=cbt&language=Yoruba", []),
            (
                "discipline=any&modality=any&language=",
                ["Dr Ada Pain", "Sam Move", "Dr Priya Mind", "Tomás Wave"],
            ),
        ],
    )
    def test_filters(
        self, visitor: TestClient, team: dict[Discipline, User], query: str, expected: list[str]
    ) -> None:
        page = visitor.get(f"/clinicians?{query}")
        assert page.status_code == 200
        assert names_on(page.text) == expected
        if not expected:
            assert "No clinician matches these choices." in page.text

    def test_the_language_filter_offers_the_languages_spoken(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        page = visitor.get("/clinicians").text
        offered = re.findall(r'<option value="([^"]*)"[^>]*>\1</option>', page)
        assert offered == ["English", "Spanish", "Swedish", "Yoruba"]

    def test_an_unknown_filter_is_422_naming_it(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        page = visitor.get("/clinicians?discipline=surgeon")
        assert page.status_code == 422
        assert "discipline: choose one from the list." in page.text
        assert len(names_on(page.text)) == 4  # the whole list, unfiltered

    def test_each_entry_links_to_booking_with_that_clinician(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        links = book_links(visitor.get("/clinicians").text)
        pain, pt, psych, nfb = (team[d].id for d in Discipline)
        assert links == [
            f"/book?type=initial_assessment&clinician={pain}",
            f"/book?type=physical_therapy&clinician={pt}",
            f"/book?type=psychology&clinician={psych}",
            f"/book?clinician={nfb}",
        ]
        week = visitor.get(links[1])
        assert week.status_code == 200
        assert f'<option value="{pt}" selected>Sam Move' in week.text

    def test_booking_with_a_clinician_offers_only_what_they_do(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        psych = team[Discipline.PSYCHOLOGIST]
        raw = visitor.get(f"/book?clinician={psych.id}").text
        page = html.unescape(raw)
        assert "Booking with Dr Priya Mind , psychologist." in words(raw)
        assert f"/book?type=psychology&tz=Europe/London&clinician={psych.id}" in page
        assert "type=initial_assessment" not in page and "type=physical_therapy" not in page

    def test_a_clinician_seeing_only_patients_in_care_says_to_log_in(
        self, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        raw = visitor.get(f"/book?clinician={team[Discipline.NEUROFEEDBACK_PRACTITIONER].id}").text
        assert "Tomás Wave sees patients already in our care." in words(raw)
        assert "/book?type=" not in raw and "Choose what you would like to book" not in raw

    def test_an_unknown_clinician_on_the_booking_page_is_422(
        self, visitor: TestClient, team: dict[Discipline, User], admin: User
    ) -> None:
        page = visitor.get(f"/book?clinician={admin.id}")
        assert page.status_code == 422
        assert "clinician: not a valid choice." in page.text

    def test_the_page_costs_the_same_few_queries_for_four_clinicians_or_sixteen(
        self, session: Session, connection: Connection, visitor: TestClient, team: dict[Discipline, User]
    ) -> None:
        with counted_selects(connection) as small:
            assert visitor.get("/clinicians").status_code == 200
        for discipline in Discipline:
            for n in range(3):
                clinician_of(session, discipline, f"{discipline.label} {n}")
        session.commit()
        with counted_selects(connection) as large:
            page = visitor.get("/clinicians")
        assert len(names_on(page.text)) == 16
        # One query for the clinicians and their profiles, then one search per appointment type shown (each:
        # the bookable clinicians, their hours, their time off, their bookings).
        assert len(large) == len(small) == 1 + 4 * 4


def directory_zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(LONDON)


class TestProfiles:
    def test_anonymous_is_sent_to_log_in(self, visitor: TestClient) -> None:
        page = visitor.get("/clinician/profile", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")

    def test_a_clinician_edits_their_own_profile_and_the_list_shows_it(
        self, session: Session, as_user: Browser, clinician: User, visitor: TestClient
    ) -> None:
        browser = as_user(clinician, browser=True)
        saved = browser.post(
            "/clinician/profile",
            data={
                "csrf_token": CSRF,
                "qualifications": "MBBS, FFPMRCA",
                "languages": "english, Welsh, English",
                "modalities": ["medical_assessment", "pain_education"],
                "bio": "I lead first assessments.",
                "listed": "yes",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        session.expire_all()
        profile = session.get(ClinicianProfile, clinician.id)
        assert profile is not None
        assert profile.languages == ["English", "Welsh"]  # each once, capitalised as first written
        assert profile.modalities == ["medical_assessment", "pain_education"]
        listed = html.unescape(visitor.get("/clinicians?language=welsh").text)
        assert names_on(listed) == [clinician.full_name]
        assert "MBBS, FFPMRCA" in listed and "I lead first assessments." in listed

    def test_unticking_listed_takes_them_off_the_list(
        self, session: Session, as_user: Browser, clinician: User, visitor: TestClient
    ) -> None:
        as_user(clinician, browser=True).post(
            "/clinician/profile", data={"csrf_token": CSRF, "bio": "Hidden for now."}
        )
        assert names_on(visitor.get("/clinicians").text) == []

    def test_a_long_bio_is_422_naming_the_field_and_nothing_is_saved(
        self, session: Session, as_user: Browser, clinician: User
    ) -> None:
        page = as_user(clinician, browser=True).post(
            "/clinician/profile", data={"csrf_token": CSRF, "bio": "x" * 801, "listed": "yes"}
        )
        assert page.status_code == 422
        assert "bio: String should have at most 800 characters" in page.text
        session.expire_all()
        assert session.get(ClinicianProfile, clinician.id) is None

    def test_an_unknown_modality_is_422(self, as_user: Browser, clinician: User) -> None:
        page = as_user(clinician, browser=True).post(
            "/clinician/profile", data={"csrf_token": CSRF, "modalities": ["surgery"]}
        )
        assert page.status_code == 422
        assert "modalities.0" in page.text

    def test_the_front_desk_edits_any_clinicians_profile(
        self, session: Session, as_user: Browser, admin: User, other_clinician: User
    ) -> None:
        browser = as_user(admin, browser=True)
        listed = browser.get("/clinicians").text
        assert f'href="/admin/clinicians/{other_clinician.id}/profile"' in listed
        assert browser.get(f"/admin/clinicians/{other_clinician.id}/profile").status_code == 200
        browser.post(
            f"/admin/clinicians/{other_clinician.id}/profile",
            data={"csrf_token": CSRF, "qualifications": "DClinPsy", "listed": "yes"},
        )
        session.expire_all()
        profile = session.get(ClinicianProfile, other_clinician.id)
        assert profile is not None and profile.qualifications == "DClinPsy"
        assert profile.updated_by_id == admin.id

    def test_a_clinician_may_not_edit_anothers_profile(
        self, as_user: Browser, clinician: User, other_clinician: User
    ) -> None:
        api = as_user(clinician)
        answer = api.put(f"/api/v1/clinicians/{other_clinician.id}/profile", json={"bio": "Not mine"})
        assert answer.status_code == 403
        assert "their own profile" in answer.json()["detail"]
        assert (
            as_user(clinician, browser=True)
            .get(f"/admin/clinicians/{other_clinician.id}/profile")
            .status_code
            == 403
        )

    def test_the_api_reads_and_replaces_a_profile(self, as_user: Browser, clinician: User) -> None:
        api = as_user(clinician)
        put = api.put(
            f"/api/v1/clinicians/{clinician.id}/profile",
            json={"languages": ["French"], "modalities": ["pain_reprocessing"], "bio": "Bonjour."},
        )
        assert put.status_code == 200
        got = api.get(f"/api/v1/clinicians/{clinician.id}/profile").json()
        assert got["languages"] == ["French"] and got["modalities"] == ["pain_reprocessing"]


class TestDirectoryApi:
    def test_the_public_api_lists_clinicians_with_their_next_time(
        self, client: TestClient, team: dict[Discipline, User]
    ) -> None:
        found = client.get("/api/v1/directory/clinicians", params={"discipline": "physical_therapist"})
        assert found.status_code == 200
        [entry] = found.json()
        assert entry["full_name"] == "Sam Move"
        assert entry["next_time"]["appointment_type"] == "physical_therapy"
        assert datetime.fromisoformat(entry["next_time"]["starts_at"]) == london(MONDAY, "09:00")
        assert entry["next_time"]["book_url"].endswith(
            f"/book?type=physical_therapy&clinician={entry['clinician_id']}"
        )

    def test_a_bad_filter_is_422(self, client: TestClient) -> None:
        answer = client.get("/api/v1/directory/clinicians", params={"modality": "surgery"})
        assert answer.status_code == 422
        assert answer.json()["detail"] == "modality: choose one from the list."


class TestOutsideServices:
    def test_the_front_desk_adds_edits_and_retires_a_service(
        self, session: Session, as_user: Browser, admin: User
    ) -> None:
        browser = as_user(admin, browser=True)
        added = browser.post(
            "/admin/external-services",
            data={
                "csrf_token": CSRF,
                "name": "Riverside Sleep Clinic",
                "kind": "sleep",
                "contact": "1 River Road\nLondon",
                "email": "sleep@example.org",
                "notes": "Eight weeks' wait.",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303
        service = session.scalar(
            select(ExternalService).where(ExternalService.name == "Riverside Sleep Clinic")
        )
        assert service is not None and service.kind == ServiceKind.SLEEP and service.active
        browser.post(
            f"/admin/external-services/{service.id}",
            data={
                "csrf_token": CSRF,
                "name": "Riverside Sleep Unit",
                "kind": "sleep",
                "contact": "",
                "email": "",
            },
        )
        session.expire_all()
        assert service.name == "Riverside Sleep Unit" and service.email == "" and not service.active
        page = browser.get("/admin/external-services")
        assert "No longer used" in page.text

    def test_a_service_without_a_name_or_with_a_bad_email_is_422(self, as_user: Browser, admin: User) -> None:
        page = as_user(admin, browser=True).post(
            "/admin/external-services",
            data={"csrf_token": CSRF, "name": "", "kind": "sleep", "email": "not-an-email"},
        )
        assert page.status_code == 422
        assert "name:" in page.text and "email:" in page.text

    def test_clinicians_read_the_list_but_do_not_edit_it(
        self, session: Session, as_user: Browser, admin: User, clinician: User, patient: object
    ) -> None:
        session.add(ExternalService(name="Pain Programme", kind=ServiceKind.PAIN_MANAGEMENT_PROGRAMME))
        session.commit()
        browser = as_user(clinician, browser=True)
        page = browser.get("/clinic/external-services")
        assert page.status_code == 200 and "Pain Programme" in page.text and "Add a service" not in page.text
        assert (
            browser.post("/admin/external-services", data={"csrf_token": CSRF, "name": "X"}).status_code
            == 403
        )
        api = as_user(clinician)
        assert [s["name"] for s in api.get("/api/v1/external-services").json()] == ["Pain Programme"]
        assert api.post("/api/v1/external-services", json={"name": "Y", "kind": "other"}).status_code == 403

    def test_patients_do_not_see_the_list(self, as_user: Browser, patient) -> None:  # type: ignore[no-untyped-def]
        assert as_user(patient.user).get("/api/v1/external-services").status_code == 403


def test_an_empty_first_profile_is_refused_and_writes_nothing(session: Session) -> None:
    from painrewire.errors import InvalidInput

    physio = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PHYSICAL_THERAPIST)
    with pytest.raises(InvalidInput, match="Nothing to save yet"):
        directory.update_profile(session, physio, physio.id, ProfileUpdate())
    assert session.get(ClinicianProfile, physio.id) is None
    saved = directory.update_profile(session, physio, physio.id, ProfileUpdate(bio="Back pain physio."))
    assert saved.bio == "Back pain physio."
