"""Clinical notes: only the care team writes and reads them; each is filed under its author's discipline."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, Discipline, Role, User
from painrewire.notes import service as notes
from painrewire.notes.models import ClinicalNote
from painrewire.notes.schemas import NoteCreate
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient, create_user


def note_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ClinicalNote)) or 0)


class TestWrite:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.post(f"/api/v1/patients/{patient.id}/notes", json={"body": "x"}).status_code == 401

    def test_clinician_outside_the_team_cannot_write(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User, session: Session
    ) -> None:
        response = as_user(other_clinician).post(f"/api/v1/patients/{patient.id}/notes", json={"body": "x"})
        assert response.status_code == 404
        assert note_count(session) == 0

    def test_the_patient_cannot_write_a_note_on_their_own_record(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        response = as_user(patient.user).post(f"/api/v1/patients/{patient.id}/notes", json={"body": "x"})
        assert response.status_code == 403
        assert note_count(session) == 0

    def test_a_note_is_filed_under_the_authors_discipline_and_audited(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/notes",
            json={"body": "  Discussed pacing; agreed 10 min walks.  "},
        )
        assert response.status_code == 201
        body = response.json()
        assert body["discipline"] == "pain_specialist"
        assert body["body"] == "Discussed pacing; agreed 10 min walks."
        assert body["author_name"] == clinician.full_name
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "clinical_note", AuditEvent.actor_id == clinician.id
            )
        ).all()
        assert [a.action for a in audit] == [AuditAction.CREATE]
        assert audit[0].patient_id == patient.id

    def test_a_blank_note_is_refused_with_the_field_named(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        response = as_user(clinician).post(f"/api/v1/patients/{patient.id}/notes", json={"body": "   "})
        assert response.status_code == 422
        assert note_count(session) == 0

    def test_a_correction_must_name_a_note_of_the_same_patient(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        other_patient: Patient,
        other_clinician: User,
    ) -> None:
        elsewhere = notes.write_note(session, other_clinician, other_patient.id, NoteCreate(body="theirs"))
        try:
            notes.write_note(session, clinician, patient.id, NoteCreate(body="fix", corrects_id=elsewhere.id))
        except Exception as exc:
            assert "not in this patient's record" in str(exc)
        else:
            raise AssertionError("a correction of another patient's note was accepted")
        original = notes.write_note(session, clinician, patient.id, NoteCreate(body="BP 120/80"))
        fixed = notes.write_note(
            session, clinician, patient.id, NoteCreate(body="BP 130/80", corrects_id=original.id)
        )
        assert fixed.corrects_id == original.id
        assert [n.body for n in notes.notes_of(session, patient)] == ["BP 130/80", "BP 120/80"]


class TestRead:
    def test_notes_are_grouped_by_discipline_in_the_clinics_order(
        self, session: Session, clinician: User
    ) -> None:
        psychologist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
        physio = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PHYSICAL_THERAPIST)
        patient = create_patient(session, care_team=[clinician, psychologist, physio])
        notes.write_note(session, psychologist, patient.id, NoteCreate(body="Thought record reviewed."))
        notes.write_note(session, physio, patient.id, NoteCreate(body="Graded walking plan."))
        notes.write_note(session, clinician, patient.id, NoteCreate(body="Imaging not needed."))
        groups = notes.by_discipline(notes.notes_of(session, patient))
        assert [(d, [n.body for n in items]) for d, items in groups] == [
            (Discipline.PAIN_SPECIALIST, ["Imaging not needed."]),
            (Discipline.PHYSICAL_THERAPIST, ["Graded walking plan."]),
            (Discipline.PSYCHOLOGIST, ["Thought record reviewed."]),
        ]

    def test_only_the_care_team_reads_notes(
        self,
        as_user: Callable[..., TestClient],
        session: Session,
        patient: Patient,
        clinician: User,
        other_clinician: User,
        admin: User,
    ) -> None:
        notes.write_note(session, clinician, patient.id, NoteCreate(body="SECRET-NOTE-1"))
        session.commit()
        team = as_user(clinician).get(f"/api/v1/patients/{patient.id}/notes")
        assert team.status_code == 200 and [n["body"] for n in team.json()] == ["SECRET-NOTE-1"]
        for outsider, status in ((other_clinician, 404), (patient.user, 403), (admin, 403)):
            response = as_user(outsider).get(f"/api/v1/patients/{patient.id}/notes")
            assert response.status_code == status
            assert "SECRET-NOTE-1" not in response.text

    def test_filter_by_discipline(self, session: Session, clinician: User) -> None:
        psychologist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
        patient = create_patient(session, care_team=[clinician, psychologist])
        notes.write_note(session, psychologist, patient.id, NoteCreate(body="psych"))
        notes.write_note(session, clinician, patient.id, NoteCreate(body="medical"))
        _, found = notes.list_notes(session, clinician, patient.id, discipline=Discipline.PSYCHOLOGIST)
        assert [n.body for n in found] == ["psych"]


class TestPages:
    def test_the_overview_shows_notes_under_each_discipline_and_the_form_adds_one(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        saved = browser.post(
            f"/clinician/patients/{patient.id}/notes",
            data={"body": "Flare after gardening; reassured.", "csrf_token": CSRF},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        overview = browser.get(f"/clinician/patients/{patient.id}")
        assert overview.status_code == 200
        assert "Notes by discipline" in overview.text
        assert "Pain specialist" in overview.text
        assert "Flare after gardening; reassured." in overview.text
        page = browser.get(f"/clinician/patients/{patient.id}/notes")
        assert "Flare after gardening; reassured." in page.text

    def test_an_empty_note_re_renders_the_form_with_a_message(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        response = as_user(clinician, browser=True).post(
            f"/clinician/patients/{patient.id}/notes", data={"body": "", "csrf_token": CSRF}
        )
        assert response.status_code == 422
        assert "Write the note" in response.text or "body" in response.text
        assert note_count(session) == 0

    def test_an_outside_clinician_gets_404_on_the_notes_page(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        assert (
            as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/notes").status_code
            == 404
        )
