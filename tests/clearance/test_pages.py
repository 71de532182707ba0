"""Clearance pages: the panel on the clinician's patient overview, the form, the history and withdrawal; and the
patient's home saying whether practice is open."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.clearance import service as clearance
from painrewire.clearance.models import Cause, Clearance
from painrewire.patients.models import CareTeamMember, Patient
from tests.fixtures.factories import CSRF, create_user

Client = Callable[..., TestClient]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def form(**changes: str) -> dict[str, str]:
    fields = {"csrf_token": CSRF, "modules": "prt", "note": "Read the intake with the patient."}
    for cause in Cause:
        fields[f"finding_{cause.value}"] = "not_applicable" if cause is Cause.OTHER else "ruled_out"
    return {**fields, **changes}


class TestOverviewPanel:
    def test_the_pain_specialist_sees_the_status_and_the_form(
        self, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{waiting.id}")
        words = text(page.text)
        assert "Clearance for practice" in words and "not cleared" in words
        assert f'action="/clinician/patients/{waiting.id}/clearance"' in page.text
        assert "Inflammatory back pain (axial spondyloarthritis)" in words

    def test_a_physical_therapist_sees_the_status_and_who_may_clear_but_no_form(
        self, session: Session, as_user: Client, waiting: Patient
    ) -> None:
        therapist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PHYSICAL_THERAPIST)
        session.add(CareTeamMember(patient_id=waiting.id, clinician_id=therapist.id))
        session.flush()
        browser = as_user(therapist, browser=True)
        page = browser.get(f"/clinician/patients/{waiting.id}")
        assert "Only a medically qualified clinician (pain specialist) on the care team can clear" in text(
            page.text
        )
        assert f'action="/clinician/patients/{waiting.id}/clearance"' not in page.text
        posted = browser.post(f"/clinician/patients/{waiting.id}/clearance", data=form())
        assert posted.status_code == 403
        assert (
            "Only a medically qualified clinician (pain specialist) on the care team can clear a patient for practice."
            in text(posted.text)
        )
        assert clearance.state_for(session, waiting).history == []


class TestClearFromThePage:
    def test_clearing_opens_practice_and_shows_the_version_in_the_history(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        browser = as_user(clinician, browser=True)
        posted = browser.post(
            f"/clinician/patients/{waiting.id}/clearance",
            data=form(note_inflammatory="No inflammatory features on history."),
            follow_redirects=False,
        )
        assert posted.status_code == 303
        assert posted.headers["location"] == f"/clinician/patients/{waiting.id}?cleared=1#clearance"
        overview = text(browser.get(posted.headers["location"]).text)
        assert "Cleared: version 1 recorded." in overview
        assert f"cleared Version 1, by {clinician.full_name}" in overview
        detail = text(browser.get(f"/clinician/patients/{waiting.id}/clearance").text)
        assert "Ruled out: No inflammatory features on history." in detail
        patient_page = as_user(waiting.user, browser=True).get("/patient/prt/somatic-tracking")
        assert 'action="/patient/prt/somatic-tracking"' in patient_page.text

    def test_a_cause_left_unanswered_shows_the_form_again_naming_it(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        data = form(note_fracture="Not asked yet")
        del data["finding_fracture"]
        page = as_user(clinician, browser=True).post(f"/clinician/patients/{waiting.id}/clearance", data=data)
        assert page.status_code == 422
        words = text(page.text)
        assert "Fracture: choose ruled out or not applicable." in words
        assert 'value="Not asked yet"' in page.text  # what was typed is kept
        assert session.scalar(select(func.count()).select_from(Clearance)) == 0

    def test_no_module_chosen_is_refused(self, as_user: Client, clinician: User, waiting: Patient) -> None:
        data = form()
        del data["modules"]
        page = as_user(clinician, browser=True).post(f"/clinician/patients/{waiting.id}/clearance", data=data)
        assert page.status_code == 422
        assert "Practice it opens: choose at least one module." in text(page.text)

    def test_withdrawing_with_a_reason_closes_practice_and_tells_the_patient(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        browser = as_user(clinician, browser=True)
        browser.post(f"/clinician/patients/{waiting.id}/clearance", data=form())
        current = clearance.state_for(session, waiting).current
        assert current is not None
        short = browser.post(
            f"/clinician/patients/{waiting.id}/clearances/{current.id}/withdraw",
            data={"csrf_token": CSRF, "reason": "no"},
        )
        assert short.status_code == 422
        assert "Reason: say why practice must stop, in at least 10 characters." in text(short.text)
        done = browser.post(
            f"/clinician/patients/{waiting.id}/clearances/{current.id}/withdraw",
            data={"csrf_token": CSRF, "reason": "Waking at night with pain: examining again."},
        )
        assert done.status_code == 200
        words = text(done.text)
        assert "Clearance version 1 withdrawn. Practice is closed." in words
        assert "Waking at night with pain: examining again." in words
        somatic = text(as_user(waiting.user, browser=True).get("/patient/prt/somatic-tracking").text)
        assert "Your pain specialist will check your answers again before practice goes on." in somatic


class TestPatientHome:
    def test_the_home_page_says_why_practice_is_not_open_yet(self, as_user: Client, waiting: Patient) -> None:
        home = text(as_user(waiting.user, browser=True).get("/patient").text)
        assert "Your practice" in home
        assert (
            "Your pain specialist will check your answers before practice starts. Lessons are open now."
            in home
        )

    def test_without_an_intake_the_home_page_asks_for_it(self, as_user: Client, new_patient: Patient) -> None:
        page = as_user(new_patient.user, browser=True).get("/patient")
        assert "Please finish your intake first." in text(page.text)
        assert 'href="/patient/intake"' in page.text
