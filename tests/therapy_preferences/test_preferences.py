"""Therapy preferences: the patient says want, unsure or decline for each therapy and what matters to them;
each change is kept; the plan rules read plain data."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, Goal, TherapyPreferences
from painrewire.therapy_preferences.schemas import PreferencesUpdate
from tests.fixtures.factories import CSRF

Browser = Callable[..., TestClient]


def saved_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TherapyPreferences)) or 0)


class TestApi:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        url = f"/api/v1/patients/{patient.id}/therapy-preferences"
        assert client.get(url).status_code == 401
        assert client.patch(url, json={"choices": {"neurofeedback": "decline"}}).status_code == 401

    def test_another_patient_and_an_outside_clinician_get_404(
        self,
        as_user: Browser,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        other_clinician: User,
    ) -> None:
        url = f"/api/v1/patients/{patient.id}/therapy-preferences"
        for outsider in (other_patient.user, other_clinician):
            assert as_user(outsider).get(url).status_code == 404
            assert as_user(outsider).patch(url, json={"choices": {"prt": "want"}}).status_code == 404
        assert saved_count(session) == 0

    def test_never_asked_reads_as_empty(self, as_user: Browser, patient: Patient) -> None:
        body = as_user(patient.user).get(f"/api/v1/patients/{patient.id}/therapy-preferences").json()
        assert body["choices"] == {} and body["goals"] == [] and body["saved_at"] is None

    def test_a_change_merges_into_what_holds_and_the_history_keeps_each_version(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        url = f"/api/v1/patients/{patient.id}/therapy-preferences"
        first = as_user(patient.user).patch(
            url,
            json={
                "choices": {"prt": "want", "neurofeedback": "unsure"},
                "goals": ["sleep_better", "back_to_work", "sleep_better"],
                "other_goal": "Pick up my grandson",
            },
        )
        assert first.status_code == 200, first.text
        assert first.json()["goals"] == ["sleep_better", "back_to_work"]
        second = as_user(clinician).patch(url, json={"choices": {"neurofeedback": "decline"}})
        assert second.json()["choices"] == {"prt": "want", "neurofeedback": "decline"}
        assert second.json()["goals"] == ["sleep_better", "back_to_work"]
        assert second.json()["changed_by_name"] == clinician.full_name
        history = as_user(patient.user).get(url + "/history").json()
        assert [h["choices"].get("neurofeedback") for h in history] == ["decline", "unsure"]
        audit = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_type == "therapy_preferences", AuditEvent.patient_id == patient.id
            )
        ).all()
        assert audit.count(AuditAction.UPDATE) == 2

    def test_an_unknown_therapy_choice_or_goal_is_refused_naming_the_field(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        url = f"/api/v1/patients/{patient.id}/therapy-preferences"
        api = as_user(patient.user)
        for body, field in (
            ({"choices": {"acupuncture": "want"}}, "choices"),
            ({"choices": {"prt": "maybe"}}, "choices.prt"),
            ({"goals": ["win the lottery"]}, "goals"),
            ({"other_goal": "x" * 501}, "other_goal"),
        ):
            response = api.patch(url, json=body)
            assert response.status_code == 422
            assert any(d.startswith(field) for d in response.json()["detail"]), response.json()
        assert saved_count(session) == 0

    def test_saving_the_same_again_adds_no_version(self, session: Session, patient: Patient) -> None:
        update = PreferencesUpdate(choices={Module.CBT: Choice.WANT}, goals=[Goal.FEWER_FLARE_UPS])
        preferences.save_preferences(session, patient.user, patient.id, update)
        preferences.save_preferences(session, patient.user, patient.id, update)
        assert saved_count(session) == 1


class TestPlainData:
    def test_what_the_plan_rules_read(self, session: Session, patient: Patient) -> None:
        assert preferences.preferences_for(session, patient) == {}
        assert preferences.wants_neurofeedback(session, patient) is None
        preferences.save_preferences(
            session,
            patient.user,
            patient.id,
            PreferencesUpdate(
                choices={Module.NEUROFEEDBACK: Choice.DECLINE, Module.GMI: Choice.UNSURE},
                goals=[Goal.LESS_MEDICATION, Goal.MOVE_WITHOUT_FEAR],
            ),
        )
        assert preferences.preferences_for(session, patient) == {"gmi": "unsure", "neurofeedback": "decline"}
        assert preferences.goals_for(session, patient.id) == ["move_without_fear", "less_medication"]
        assert preferences.wants_neurofeedback(session, patient) is False
        preferences.save_preferences(
            session, patient.user, patient.id, PreferencesUpdate(choices={Module.NEUROFEEDBACK: Choice.WANT})
        )
        assert preferences.wants_neurofeedback(session, patient) is True


class TestPages:
    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        response = client.get("/patient/therapy-preferences", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_the_patient_declines_neurofeedback_and_the_change_is_listed(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/therapy-preferences")
        assert page.status_code == 200
        assert 'id="neurofeedback"' in page.text and "No, thank you" in page.text
        saved = browser.post(
            "/patient/therapy-preferences",
            data={
                "csrf_token": CSRF,
                "choice_neurofeedback": "decline",
                "choice_prt": "want",
                "goals": ["fewer_flare_ups", "lift_and_carry"],
                "other_goal": "Garden again",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        after = browser.get("/patient/therapy-preferences")
        assert "Neurofeedback: not asked → no, thank you" in after.text
        assert "Goals added: Fewer flare-ups, Lift and carry" in after.text
        assert preferences.wants_neurofeedback(session, patient) is False
        overview = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
        assert "Therapy preferences and goals" in overview.text and "Garden again" in overview.text

    def test_declining_after_consenting_points_to_the_consent_page(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        text = consent.consent_texts()[ConsentKind.NEUROFEEDBACK]
        consent.give_consent(
            session, patient.user, patient.id, kind=ConsentKind.NEUROFEEDBACK, text_version=text.version
        )
        preferences.save_preferences(
            session,
            patient.user,
            patient.id,
            PreferencesUpdate(choices={Module.NEUROFEEDBACK: Choice.DECLINE}),
        )
        session.commit()
        page = as_user(patient.user, browser=True).get("/patient/therapy-preferences")
        assert "To stop sessions, withdraw that consent there." in page.text
        assert 'href="/patient/consent#neurofeedback"' in page.text

    def test_a_bad_choice_re_renders_with_the_field_named(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            "/patient/therapy-preferences", data={"csrf_token": CSRF, "choice_prt": "perhaps"}
        )
        assert response.status_code == 422 and "choices.prt" in response.text
        assert saved_count(session) == 0

    def test_a_clinician_records_preferences_and_an_outsider_gets_404(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User, other_clinician: User
    ) -> None:
        url = f"/clinician/patients/{patient.id}/therapy-preferences"
        done = as_user(clinician, browser=True).post(
            url, data={"csrf_token": CSRF, "choice_cbt": "unsure"}, follow_redirects=False
        )
        assert done.status_code == 303
        assert preferences.preferences_for(session, patient) == {"cbt": "unsure"}
        outsider = as_user(other_clinician, browser=True)
        assert outsider.get(url).status_code == 404
        assert outsider.post(url, data={"csrf_token": CSRF, "choice_cbt": "want"}).status_code == 404


def test_an_empty_first_save_is_refused_and_writes_nothing(session: Session, patient: Patient) -> None:
    import pytest

    from painrewire.errors import InvalidInput

    with pytest.raises(InvalidInput, match="Nothing to save yet") as refused:
        preferences.save_preferences(session, patient.user, patient.id, PreferencesUpdate())
    assert refused.value.field == "choices"
    assert session.scalar(select(func.count()).select_from(TherapyPreferences)) == 0
