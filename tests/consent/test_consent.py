"""Consent: the patient gives or withdraws it online, a clinician records it from clinic or paper; a withdrawal
holds from that moment, is audited, and the history keeps every period of consent."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentMethod, ConsentRecord
from painrewire.errors import Conflict, Forbidden, InvalidInput
from painrewire.interop import research
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF

Browser = Callable[..., TestClient]
SECRET = "development-only-secret-change-me"


def version(kind: ConsentKind) -> str:
    return consent.consent_texts()[kind].version


def give(session: Session, actor: User, patient: Patient, kind: ConsentKind, **kw: object) -> ConsentRecord:
    return consent.give_consent(session, actor, patient.id, kind=kind, text_version=version(kind), **kw)  # type: ignore[arg-type]


def records(session: Session, patient: Patient) -> list[ConsentRecord]:
    session.expire_all()
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.patient_id == patient.id)
            .order_by(ConsentRecord.given_at)
        )
    )


def research_ids(text: str) -> list[str]:
    return [row["research_id"] for row in csv.DictReader(io.StringIO(text))]


class TestTexts:
    def test_every_text_says_it_can_be_withdrawn_at_any_time_and_has_its_own_version(self) -> None:
        texts = consent.consent_texts()
        assert set(texts) == set(ConsentKind)
        assert len({t.version for t in texts.values()}) == len(texts)
        for text in texts.values():
            assert "withdraw this consent at any time" in text.text, text.kind
            assert (
                "rest of your care" in text.text
                or "care is the same" in text.text
                or "other care" in text.text
            )

    def test_the_blinded_text_says_sessions_may_be_sham_and_the_research_text_says_what_is_removed(
        self,
    ) -> None:
        texts = consent.consent_texts()
        assert "sham" in texts[ConsentKind.BLINDED_NEUROFEEDBACK].text
        assert "name" in texts[ConsentKind.RESEARCH].text and "removed" in texts[ConsentKind.RESEARCH].text

    def test_a_file_missing_a_kind_is_refused_naming_it(self) -> None:
        with pytest.raises(
            ValueError, match=re.escape("consent/texts.yaml: field 'kinds': no text for 'research'")
        ):
            consent._load(
                {
                    k.value: {"version": "v", "title": "t", "summary": "s", "text": "x"}
                    for k in list(ConsentKind)[:3]
                }
            )

    def test_an_empty_title_names_the_file_the_kind_and_the_field(self) -> None:
        texts = {k.value: {"version": "v", "title": "t", "summary": "s", "text": "x"} for k in ConsentKind}
        texts["research"]["title"] = " "
        with pytest.raises(
            ValueError,
            match=re.escape(
                "consent/texts.yaml: consent kind 'research', field 'title': must be non-empty text"
            ),
        ):
            consent._load(texts)


class TestGive:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        body = {"kind": "treatment", "text_version": version(ConsentKind.TREATMENT)}
        assert client.post(f"/api/v1/patients/{patient.id}/consents", json=body).status_code == 401
        assert client.get(f"/api/v1/patients/{patient.id}/consents").status_code == 401

    def test_another_patient_and_a_clinician_outside_the_team_get_404(
        self,
        as_user: Browser,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        other_clinician: User,
    ) -> None:
        body = {"kind": "treatment", "text_version": version(ConsentKind.TREATMENT), "method": "in_clinic"}
        assert (
            as_user(other_clinician).post(f"/api/v1/patients/{patient.id}/consents", json=body).status_code
            == 404
        )
        as_other = as_user(other_patient.user)
        assert (
            as_other.post(
                f"/api/v1/patients/{patient.id}/consents", json={**body, "method": None}
            ).status_code
            == 404
        )
        assert as_other.get(f"/api/v1/patients/{patient.id}/consents").status_code == 404
        assert records(session, patient) == []

    def test_an_administrator_cannot_record_consent(
        self, session: Session, admin: User, patient: Patient
    ) -> None:
        with pytest.raises(Forbidden):
            give(session, admin, patient, ConsentKind.TREATMENT)

    def test_the_patient_agrees_online_and_the_record_keeps_text_version_and_who(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/consents",
            json={"kind": "research", "text_version": version(ConsentKind.RESEARCH)},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["method"] == "online" and body["is_current"] is True
        assert body["recorded_by_name"] == patient.user.full_name
        assert body["text"] == consent.consent_texts()[ConsentKind.RESEARCH].text
        assert consent.has_consent(session, patient.id, ConsentKind.RESEARCH)
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "consent", AuditEvent.patient_id == patient.id
            )
        ).all()
        assert [(a.action, a.resource_id) for a in audit] == [(AuditAction.CREATE, "research")]

    def test_a_clinician_records_a_consent_given_in_clinic_or_on_paper_and_must_say_which(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        api = as_user(clinician)
        url = f"/api/v1/patients/{patient.id}/consents"
        body = {"kind": "treatment", "text_version": version(ConsentKind.TREATMENT)}
        for method in (None, "online"):
            refused = api.post(url, json={**body, "method": method})
            assert refused.status_code == 422 and "method" in refused.json()["detail"]
        assert records(session, patient) == []
        done = api.post(url, json={**body, "method": "paper"})
        assert done.status_code == 201
        assert done.json()["method"] == "paper" and done.json()["recorded_by_name"] == clinician.full_name

    def test_a_patient_cannot_claim_a_paper_consent(self, session: Session, patient: Patient) -> None:
        with pytest.raises(InvalidInput) as exc:
            give(session, patient.user, patient, ConsentKind.TREATMENT, method=ConsentMethod.PAPER)
        assert exc.value.field == "method"

    def test_an_old_text_version_is_refused_naming_the_field_and_nothing_is_stored(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/consents",
            json={"kind": "treatment", "text_version": "treatment-1999.1"},
        )
        assert response.status_code == 422
        assert "text_version" in response.json()["detail"]
        assert records(session, patient) == []

    def test_an_unknown_kind_is_refused_naming_the_field(self, as_user: Browser, patient: Patient) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/consents", json={"kind": "surgery", "text_version": "x"}
        )
        assert response.status_code == 422
        assert any(d.startswith("kind") for d in response.json()["detail"])

    def test_consenting_twice_is_a_conflict_and_the_database_holds_one_current_consent(
        self, session: Session, patient: Patient
    ) -> None:
        give(session, patient.user, patient, ConsentKind.TREATMENT)
        with pytest.raises(Conflict):
            give(session, patient.user, patient, ConsentKind.TREATMENT)
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(
                insert(ConsentRecord).values(
                    patient_id=patient.id,
                    kind=ConsentKind.TREATMENT,
                    text_version="v",
                    text="t",
                    method="online",
                )
            )
        assert len(records(session, patient)) == 1

    def test_blinded_sessions_need_consent_to_neurofeedback_first(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput) as exc:
            give(session, patient.user, patient, ConsentKind.BLINDED_NEUROFEEDBACK)
        assert exc.value.field == "kind"
        give(session, patient.user, patient, ConsentKind.NEUROFEEDBACK)
        give(session, patient.user, patient, ConsentKind.BLINDED_NEUROFEEDBACK)
        assert consent.consent_summary(session, patient) == {
            "treatment": False,
            "neurofeedback": True,
            "blinded_neurofeedback": True,
            "research": False,
        }


class TestWithdraw:
    def test_anonymous_gets_401_and_an_outsider_404(
        self, client: TestClient, as_user: Browser, session: Session, patient: Patient, other_clinician: User
    ) -> None:
        give(session, patient.user, patient, ConsentKind.RESEARCH)
        session.commit()
        url = f"/api/v1/patients/{patient.id}/consents/research/withdrawal"
        assert client.post(url, json={}).status_code == 401
        assert as_user(other_clinician).post(url, json={"method": "in_clinic"}).status_code == 404
        assert consent.has_consent(session, patient.id, ConsentKind.RESEARCH)

    def test_withdrawal_holds_at_once_is_audited_and_kept_on_the_record(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        give(session, patient.user, patient, ConsentKind.RESEARCH)
        session.commit()
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/consents/research/withdrawal", json={"note": "changed my mind"}
        )
        assert response.status_code == 200, response.text
        [withdrawn] = response.json()
        assert withdrawn["withdrawn_by_name"] == patient.user.full_name
        assert (
            withdrawn["withdrawal_method"] == "online" and withdrawn["withdrawal_note"] == "changed my mind"
        )
        assert not consent.has_consent(session, patient.id, ConsentKind.RESEARCH)
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "consent", AuditEvent.action == AuditAction.UPDATE
            )
        ).all()
        assert [(a.actor_id, a.patient_id, a.resource_id) for a in audit] == [
            (patient.user.id, patient.id, "research")
        ]
        [record] = records(session, patient)
        assert record.withdrawn_at is not None and record.given_at < record.withdrawn_at

    def test_consenting_again_after_a_withdrawal_is_a_new_record_and_the_old_one_stays(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        give(session, patient.user, patient, ConsentKind.TREATMENT)
        consent.withdraw_consent(
            session, clinician, patient.id, kind=ConsentKind.TREATMENT, method=ConsentMethod.IN_CLINIC
        )
        give(session, patient.user, patient, ConsentKind.TREATMENT)
        first, second = records(session, patient)
        assert first.withdrawn_by_id == clinician.id and first.withdrawal_method == ConsentMethod.IN_CLINIC
        assert second.is_current and second.id != first.id
        assert consent.has_consent(session, patient.id, ConsentKind.TREATMENT)

    def test_withdrawing_neurofeedback_also_withdraws_blinded_sessions(
        self, session: Session, patient: Patient
    ) -> None:
        give(session, patient.user, patient, ConsentKind.NEUROFEEDBACK)
        give(session, patient.user, patient, ConsentKind.BLINDED_NEUROFEEDBACK)
        withdrawn = consent.withdraw_consent(
            session, patient.user, patient.id, kind=ConsentKind.NEUROFEEDBACK
        )
        assert [r.kind for r in withdrawn] == [ConsentKind.NEUROFEEDBACK, ConsentKind.BLINDED_NEUROFEEDBACK]
        assert not consent.has_consent(session, patient.id, ConsentKind.BLINDED_NEUROFEEDBACK)
        audited = session.scalars(
            select(AuditEvent.resource_id).where(
                AuditEvent.resource_type == "consent", AuditEvent.action == AuditAction.UPDATE
            )
        ).all()
        assert sorted(audited) == ["blinded_neurofeedback", "neurofeedback"]

    def test_nothing_to_withdraw_is_a_conflict(self, as_user: Browser, patient: Patient) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/consents/research/withdrawal", json={}
        )
        assert response.status_code == 409
        assert "no current consent" in response.json()["detail"]


class TestResearchExport:
    def test_only_patients_who_consent_are_exported_and_a_withdrawal_drops_the_patient_at_once(
        self, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        from tests.fixtures.factories import create_patient

        silent = create_patient(session, care_team=[clinician])
        give(session, patient.user, patient, ConsentKind.RESEARCH)
        session.commit()
        staff = as_user(clinician, browser=True)
        before = research_ids(staff.get("/clinician/outcomes/research.csv").text)
        assert before == [research.research_id(SECRET, patient.id)]
        assert research.research_id(SECRET, silent.id) not in before
        withdrawn = as_user(patient.user, browser=True).post(
            "/patient/consent/withdraw", data={"kind": "research", "csrf_token": CSRF}, follow_redirects=False
        )
        assert withdrawn.status_code == 303
        assert research_ids(staff.get("/clinician/outcomes/research.csv").text) == []


class TestPages:
    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        response = client.get("/patient/consent", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_the_patient_reads_each_text_agrees_and_withdraws(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/consent")
        assert page.status_code == 200
        for text in consent.consent_texts().values():
            assert text.title in page.text
        assert "This needs consent to neurofeedback first." in page.text
        agreed = browser.post(
            "/patient/consent/give",
            data={
                "kind": "neurofeedback",
                "text_version": version(ConsentKind.NEUROFEEDBACK),
                "csrf_token": CSRF,
            },
        )
        assert agreed.status_code == 200
        assert "Consent recorded: neurofeedback." in agreed.text
        assert "Withdraw my consent: neurofeedback" in agreed.text
        assert "This needs consent to neurofeedback first." not in agreed.text
        gone = browser.post("/patient/consent/withdraw", data={"kind": "neurofeedback", "csrf_token": CSRF})
        assert "Consent withdrawn: neurofeedback. This applies from now." in gone.text
        assert not consent.has_consent(session, patient.id, ConsentKind.NEUROFEEDBACK)

    def test_a_stale_text_is_refused_on_the_page_with_the_reason(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            "/patient/consent/give", data={"kind": "treatment", "text_version": "old", "csrf_token": CSRF}
        )
        assert response.status_code == 422
        assert "has changed since the page was opened" in response.text
        assert records(session, patient) == []

    def test_a_clinician_records_a_paper_consent_and_the_overview_shows_it(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        response = browser.post(
            f"/clinician/patients/{patient.id}/consent/give",
            data={
                "kind": "treatment",
                "text_version": version(ConsentKind.TREATMENT),
                "method": "paper",
                "csrf_token": CSRF,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        [record] = records(session, patient)
        assert record.method == ConsentMethod.PAPER and record.recorded_by_id == clinician.id
        overview = browser.get(f"/clinician/patients/{patient.id}")
        assert "Consent" in overview.text and "agreed" in overview.text
        bad = browser.post(
            f"/clinician/patients/{patient.id}/consent/withdraw",
            data={"kind": "treatment", "method": "by pigeon", "csrf_token": CSRF},
        )
        assert bad.status_code == 422 and "method" in bad.text
        assert consent.has_consent(session, patient.id, ConsentKind.TREATMENT)

    def test_an_outside_clinician_gets_404(
        self, as_user: Browser, patient: Patient, other_clinician: User
    ) -> None:
        browser = as_user(other_clinician, browser=True)
        assert browser.get(f"/clinician/patients/{patient.id}/consent").status_code == 404
        posted = browser.post(
            f"/clinician/patients/{patient.id}/consent/give",
            data={
                "kind": "treatment",
                "text_version": version(ConsentKind.TREATMENT),
                "method": "paper",
                "csrf_token": CSRF,
            },
        )
        assert posted.status_code == 404

    def test_records_count_once_per_period_of_consent(self, session: Session, patient: Patient) -> None:
        for _ in range(3):
            give(session, patient.user, patient, ConsentKind.RESEARCH)
            consent.withdraw_consent(session, patient.user, patient.id, kind=ConsentKind.RESEARCH)
        count = session.scalar(
            select(func.count()).select_from(ConsentRecord).where(ConsentRecord.patient_id == patient.id)
        )
        assert count == 3
