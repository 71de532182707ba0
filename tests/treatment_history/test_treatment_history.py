"""Treatment history: the patient and their care team record what was tried; impossible entries are refused
naming the field; every change keeps the version before; the summary says what did not help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput
from painrewire.patients.models import Patient
from painrewire.treatment_history import service as history
from painrewire.treatment_history.models import (
    Category,
    Effect,
    MedicineClass,
    RevisionKind,
    TreatmentEntry,
    TreatmentEntryRevision,
)
from painrewire.treatment_history.schemas import TreatmentCreate, TreatmentUpdate
from tests.fixtures.factories import CSRF, create_patient

Browser = Callable[..., TestClient]
TODAY = utcnow().date()


def naproxen(**overrides: Any) -> dict[str, Any]:
    body = {
        "category": "medicine",
        "medicine_class": "nsaid",
        "name": "Naproxen",
        "dose": "500 mg twice a day",
        "duration_weeks": 12,
        "effect": "some",
        "side_effects": "Heartburn",
        "started_year": 2021,
    }
    return body | overrides


def entry_count(session: Session, model: Any = TreatmentEntry) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def born_1980(session: Session, clinician: User) -> Patient:
    return create_patient(session, care_team=[clinician], date_of_birth=date(1980, 5, 17))


class TestAdd:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.post(f"/api/v1/patients/{patient.id}/treatments", json=naproxen()).status_code == 401
        assert client.get(f"/api/v1/patients/{patient.id}/treatments").status_code == 401

    def test_another_patient_and_an_outside_clinician_get_404(
        self,
        as_user: Browser,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        other_clinician: User,
    ) -> None:
        for outsider in (other_patient.user, other_clinician):
            api = as_user(outsider)
            assert api.post(f"/api/v1/patients/{patient.id}/treatments", json=naproxen()).status_code == 404
            assert api.get(f"/api/v1/patients/{patient.id}/treatments").status_code == 404
        assert entry_count(session) == 0

    def test_an_administrator_without_a_reason_is_refused(
        self, as_user: Browser, patient: Patient, admin: User
    ) -> None:
        assert as_user(admin).get(f"/api/v1/patients/{patient.id}/treatments").status_code == 403

    def test_the_patient_adds_a_medicine_and_it_is_audited_with_its_first_revision(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user).post(f"/api/v1/patients/{patient.id}/treatments", json=naproxen())
        assert response.status_code == 201, response.text
        body = response.json()
        assert (
            body["medicine_class"] == "nsaid"
            and body["version"] == 1
            and body["dose"] == "500 mg twice a day"
        )
        [revision] = session.scalars(select(TreatmentEntryRevision)).all()
        assert revision.change == RevisionKind.CREATED and revision.snapshot["name"] == "Naproxen"
        assert revision.changed_by_id == patient.user.id
        audit = session.scalars(
            select(AuditEvent.action).where(AuditEvent.resource_type == "treatment_history")
        ).all()
        assert audit == [AuditAction.CREATE]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"medicine_class": "homeopathy"}, "medicine_class"),
            ({"medicine_class": None}, "medicine_class"),
            ({"category": "physiotherapy", "dose": ""}, "medicine_class"),
            ({"category": "surgery", "medicine_class": None}, "dose"),
            ({"effect": "amazing"}, "effect"),
            ({"started_year": None}, "started_on"),
            ({"started_year": None, "started_on": (TODAY + timedelta(days=1)).isoformat()}, "started_on"),
            ({"started_year": TODAY.year + 1}, "started_year"),
            ({"started_year": 1975}, "started_year"),
            ({"started_year": None, "started_on": "1980-05-16"}, "started_on"),
            ({"ended_year": 2019}, "ended_year"),
            ({"started_year": None, "started_on": "2021-03-10", "ended_on": "2021-03-09"}, "ended_on"),
            ({"started_on": "2020-06-01"}, "started_year"),
            ({"ended_on": (TODAY + timedelta(days=3)).isoformat()}, "ended_on"),
            ({"duration_weeks": -1}, "duration_weeks"),
            ({"name": "   "}, "name"),
        ],
    )
    def test_impossible_entries_are_refused_naming_the_field_and_nothing_is_stored(
        self,
        as_user: Browser,
        session: Session,
        born_1980: Patient,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        response = as_user(born_1980.user).post(
            f"/api/v1/patients/{born_1980.id}/treatments", json=naproxen(**overrides)
        )
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        messages = detail if isinstance(detail, list) else [detail]
        assert any(m.startswith(field) for m in messages), messages
        assert entry_count(session) == 0 and entry_count(session, TreatmentEntryRevision) == 0

    def test_an_end_in_the_same_year_as_an_approximate_start_is_fine(
        self, session: Session, born_1980: Patient
    ) -> None:
        entry = history.add_entry(
            session,
            born_1980.user,
            born_1980.id,
            TreatmentCreate.model_validate(naproxen(started_year=2021, ended_on="2021-02-01")),
        )
        assert entry.started_label == "about 2021" and entry.ended_label == "01 Feb 2021"


class TestEdit:
    def test_an_edit_keeps_the_version_before_and_says_who_changed_it(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        session.commit()
        response = as_user(clinician).patch(
            f"/api/v1/patients/{patient.id}/treatments/{entry.id}",
            json={"effect": "none", "side_effects": "Heartburn and stomach pain", "version": 1},
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 2 and response.json()["effect"] == "none"
        revisions = as_user(patient.user).get(
            f"/api/v1/patients/{patient.id}/treatments/{entry.id}/revisions"
        )
        assert [(r["version"], r["change"], r["snapshot"]["effect"]) for r in revisions.json()] == [
            (2, "updated", "none"),
            (1, "created", "some"),
        ]
        assert revisions.json()[0]["changed_by_id"] == str(clinician.id)

    def test_an_edit_from_an_old_version_is_a_conflict(self, session: Session, patient: Patient) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        history.update_entry(session, patient.user, patient.id, entry.id, TreatmentUpdate(effect=Effect.GOOD))
        with pytest.raises(Conflict):
            history.update_entry(
                session, patient.user, patient.id, entry.id, TreatmentUpdate(effect=Effect.NONE, version=1)
            )

    def test_an_edit_that_makes_the_entry_impossible_is_refused_and_changes_nothing(
        self, session: Session, patient: Patient
    ) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        with pytest.raises(InvalidInput) as exc:
            history.update_entry(
                session,
                patient.user,
                patient.id,
                entry.id,
                TreatmentUpdate.model_validate({"ended_year": 2020}),
            )
        assert exc.value.field == "ended_year"
        assert entry.version == 1 and entry.ended_year is None

    def test_an_unchanged_save_adds_no_revision(self, session: Session, patient: Patient) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        history.update_entry(session, patient.user, patient.id, entry.id, TreatmentUpdate(name=" Naproxen "))
        assert entry.version == 1 and entry_count(session, TreatmentEntryRevision) == 1

    def test_removing_keeps_the_entry_and_its_revisions_but_takes_it_off_the_list(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        session.commit()
        api = as_user(patient.user)
        assert api.delete(f"/api/v1/patients/{patient.id}/treatments/{entry.id}").status_code == 200
        assert api.get(f"/api/v1/patients/{patient.id}/treatments").json() == []
        revisions = api.get(f"/api/v1/patients/{patient.id}/treatments/{entry.id}/revisions").json()
        assert [r["change"] for r in revisions] == ["removed", "created"]
        assert entry_count(session) == 1
        again = api.patch(f"/api/v1/patients/{patient.id}/treatments/{entry.id}", json={"effect": "good"})
        assert again.status_code == 409

    def test_another_patients_entry_is_not_found(
        self, as_user: Browser, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        theirs = history.add_entry(
            session, other_patient.user, other_patient.id, TreatmentCreate.model_validate(naproxen())
        )
        session.commit()
        api = as_user(patient.user)
        url = f"/api/v1/patients/{patient.id}/treatments/{theirs.id}"
        assert api.patch(url, json={"effect": "none"}).status_code == 404
        assert api.get(url + "/revisions").status_code == 404


class TestSummary:
    def test_what_did_not_help_is_what_never_helped(self, session: Session, patient: Patient) -> None:
        """Maria's history by hand: physiotherapy twice (none, then some), NSAIDs some, an opioid none with
        side effects, an epidural none; psychological therapy not rated."""
        add = lambda **kw: history.add_entry(  # noqa: E731
            session, patient.user, patient.id, TreatmentCreate.model_validate({"started_year": 2019} | kw)
        )
        add(category="physiotherapy", name="NHS physiotherapy", effect="none", started_year=2018)
        add(category="medicine", medicine_class="nsaid", name="Ibuprofen", effect="some")
        add(
            category="medicine",
            medicine_class="opioid",
            name="Tramadol",
            effect="none",
            side_effects="Drowsy, constipated",
            started_year=2020,
        )
        add(category="physiotherapy", name="Private physio", effect="some", started_year=2021)
        add(category="injection", name="Epidural", effect="none", started_year=2022)
        add(category="psychological", name="Counselling", started_year=2023)
        add(category="surgery", name="Microdiscectomy", effect="some", started_year=2016)
        summary = history.history_summary(session, patient)
        assert summary["tried"] == [
            "surgery",
            "physiotherapy",
            "nsaid",
            "opioid",
            "injection",
            "psychological",
        ]
        assert summary["failed"] == ["opioid", "injection"]
        assert summary["partly_helped"] == ["surgery", "physiotherapy", "nsaid"]
        assert summary["helped"] == [] and summary["not_rated"] == ["psychological"]
        assert summary["side_effects"] == ["opioid"]
        assert summary["surgery"] == [{"what": "Microdiscectomy", "year": 2016}]
        assert summary["labels"]["nsaid"] == "NSAIDs" and summary["labels"]["opioid"] == "opioids"
        assert history.summary_lines(summary)[0] == "Did not help: opioids, injection or procedure."

    def test_the_summary_route_is_audited_and_for_the_patient_and_team_only(
        self, as_user: Browser, session: Session, patient: Patient, other_clinician: User
    ) -> None:
        history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen(effect="none"))
        )
        session.commit()
        assert as_user(patient.user).get(f"/api/v1/patients/{patient.id}/treatment-summary").json()[
            "failed"
        ] == ["nsaid"]
        assert (
            as_user(other_clinician).get(f"/api/v1/patients/{patient.id}/treatment-summary").status_code
            == 404
        )


class TestPages:
    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        response = client.get("/patient/treatment-history", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_the_patient_records_a_treatment_that_did_not_help_and_the_care_team_sees_it(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(patient.user, browser=True)
        home = browser.get("/patient")
        assert 'href="/patient/treatment-history"' in home.text
        form = {
            "csrf_token": CSRF,
            "category": "medicine",
            "name": "Tramadol",
            "medicine_class": "opioid",
            "dose": "50 mg",
            "started_on": "",
            "started_year": "2020",
            "ended_year": "2020",
            "duration_weeks": "8",
            "effect": "none",
            "side_effects": "Dizzy",
        }
        added = browser.post("/patient/treatment-history", data=form, follow_redirects=False)
        assert added.status_code == 303
        page = browser.get("/patient/treatment-history")
        assert "Tramadol" in page.text and "Did not help: opioids." in page.text
        overview = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
        assert "Treatment history" in overview.text and "Tramadol" in overview.text
        assert "Did not help: opioids." in overview.text

    def test_the_intakes_confirmation_links_here(self, as_user: Browser, patient: Patient) -> None:
        page = as_user(patient.user, browser=True).get("/patient/questionnaires?intake=1")
        assert 'href="/patient/treatment-history"' in page.text

    def test_a_bad_entry_re_renders_the_form_with_the_field_named_and_what_was_typed(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        form = {
            "csrf_token": CSRF,
            "category": "medicine",
            "name": "Pills",
            "medicine_class": "",
            "started_year": "2020",
        }
        response = as_user(patient.user, browser=True).post("/patient/treatment-history", data=form)
        assert response.status_code == 422
        assert "medicine_class: choose what kind of medicine it was" in response.text
        assert 'value="Pills"' in response.text
        assert entry_count(session) == 0
        unknown = as_user(patient.user, browser=True).post(
            "/patient/treatment-history", data=form | {"medicine_class": "cannabis"}
        )
        assert unknown.status_code == 422 and "medicine_class" in unknown.text

    def test_a_clinician_edits_an_entry_and_the_page_lists_the_change(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        session.commit()
        browser = as_user(clinician, browser=True)
        url = f"/clinician/patients/{patient.id}/treatment-history/{entry.id}"
        page = browser.get(url)
        assert page.status_code == 200 and "Naproxen" in page.text
        form = {
            "csrf_token": CSRF,
            "version": "1",
            **{k: str(v) for k, v in naproxen(effect="good").items()},
        }
        assert browser.post(url, data=form, follow_redirects=False).status_code == 303
        after = browser.get(url)
        assert "Updated" in after.text and clinician.full_name in after.text
        stale = browser.post(url, data=form | {"effect": "none"})
        assert stale.status_code == 409 and "Someone changed this treatment" in stale.text

    def test_an_outside_clinician_gets_404(
        self, as_user: Browser, patient: Patient, other_clinician: User
    ) -> None:
        browser = as_user(other_clinician, browser=True)
        assert browser.get(f"/clinician/patients/{patient.id}/treatment-history").status_code == 404
        posted = browser.post(
            f"/clinician/patients/{patient.id}/treatment-history",
            data={"csrf_token": CSRF, "category": "surgery", "name": "x", "started_year": "2020"},
        )
        assert posted.status_code == 404

    def test_the_patient_removes_an_entry_from_the_page(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        entry = history.add_entry(
            session, patient.user, patient.id, TreatmentCreate.model_validate(naproxen())
        )
        session.commit()
        browser = as_user(patient.user, browser=True)
        done = browser.post(
            f"/patient/treatment-history/{entry.id}/remove", data={"csrf_token": CSRF}, follow_redirects=False
        )
        assert done.status_code == 303
        assert "No treatments recorded yet." in browser.get("/patient/treatment-history").text
        assert "Removed from the list" in browser.get(f"/patient/treatment-history/{entry.id}").text


def test_medicine_class_and_category_vocabularies_are_the_agreed_ones() -> None:
    assert [c.value for c in MedicineClass] == [
        "simple_analgesic",
        "nsaid",
        "opioid",
        "gabapentinoid",
        "antidepressant",
        "muscle_relaxant",
        "other_medicine",
    ]
    assert [c.value for c in Category] == [
        "medicine",
        "physiotherapy",
        "injection",
        "surgery",
        "psychological",
        "other",
    ]
