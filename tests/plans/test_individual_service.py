"""The plan service reads what the clinic stores about the person (intake, preferences and goals, treatment
history, consent, the clinician's judgement) and the proposal says which of them changed the plan; the patient
reads the reasons, with links to where they can change their answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clinical_flags.models import FlagKind
from painrewire.consent.models import ConsentKind
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.models import PlanVersion
from painrewire.practice.models import Module
from painrewire.therapy_preferences.models import Choice, Goal
from painrewire.treatment_history.models import Category, Effect, MedicineClass
from tests.plans import builders

GAD7_MODERATE = [2, 2, 2, 2, 2, 1, 1]  # 12, moderate
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 0, 0, 0]  # 6, mild
GAD7_MILD = [1, 1, 1, 1, 1, 0, 0]  # 5, mild
PEG_4 = [4, 4, 4]  # mean 4


def fired(version: PlanVersion) -> dict[str, dict[str, str]]:
    return {f["id"]: f for f in version.content["fired"]}


def modules(version: PlanVersion) -> dict[str, int]:
    return {m["id"]: m["sessions_per_week"] for m in version.content["modules"]}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def low_scorer(session: Session, patient: Patient) -> None:
    """Chronic pain, and only the questionnaires a patient can fill in themselves, all low."""
    builders.intake(session, patient, weeks=60, average=5)
    builders.answer(session, patient, "peg", PEG_4)
    builders.answer(session, patient, "phq9", PHQ9_MILD)
    builders.answer(session, patient, "gad7", GAD7_MILD)


class TestTheProfile:
    def test_it_carries_every_personal_input(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, weeks=60, average=8, leg_pain=True)
        builders.prefer(
            session,
            patient,
            {Module.NEUROFEEDBACK: Choice.DECLINE, Module.CBT: Choice.UNSURE},
            [Goal.SLEEP_BETTER, Goal.FEWER_FLARE_UPS],
        )
        builders.tried(session, patient, Category.PHYSIOTHERAPY, Effect.NONE)
        builders.tried(session, patient, Category.MEDICINE, Effect.SOME, medicine_class=MedicineClass.NSAID)
        builders.consent_to(session, patient, ConsentKind.RESEARCH)
        builders.judge(
            session, clinician, patient, FlagKind.FEAR_OF_MOVEMENT, "Braces and holds breath to bend"
        )

        profile = plans.build_profile(session, patient)

        assert profile.leg_pain is True
        assert profile.goals == ("fewer_flare_ups", "sleep_better")
        assert profile.preferences.choice("neurofeedback") == "decline"
        assert profile.preferences.choice("cbt") == "unsure"
        assert profile.preferences.choice("gmi") is None
        assert profile.history is not None
        assert (profile.history.tried, profile.history.failed) == (
            ("physiotherapy", "nsaid"),
            ("physiotherapy",),
        )
        assert profile.history.partly_helped == ("nsaid",)
        assert profile.consent.research is True and profile.consent.neurofeedback is False
        note = profile.clinician["fear_of_movement"]
        assert (note.by, note.note) == (clinician.full_name, "Braces and holds breath to bend")
        assert abs((note.on - date.today()).days) <= 1  # the patient's calendar day

    def test_nothing_recorded_leaves_the_inputs_empty(self, session: Session, patient: Patient) -> None:
        builders.intake(session, patient)
        profile = plans.build_profile(session, patient)
        assert profile.goals == () and profile.history is None and profile.clinician == {}
        assert profile.preferences.choices == {}
        assert profile.consent.neurofeedback is False


class TestProposals:
    def test_declined_neurofeedback_is_left_out_and_the_patient_reads_why_with_a_link(
        self, session: Session, patient: Patient, clinician: User, as_user: Callable[..., TestClient]
    ) -> None:
        builders.intake(session, patient)
        builders.answer(session, patient, "gad7", GAD7_MODERATE)
        builders.consent_to(session, patient, ConsentKind.NEUROFEEDBACK)
        offered = plans.propose(session, clinician, patient.id)
        assert modules(offered)["neurofeedback"] == 2

        builders.prefer(session, patient, {Module.NEUROFEEDBACK: Choice.DECLINE})
        declined = plans.propose(session, clinician, patient.id)
        assert "neurofeedback" not in modules(declined)
        assert "neurofeedback_practitioner" not in declined.content["disciplines"]
        assert (
            fired(declined)["declined_neurofeedback"]["href"] == "/patient/therapy-preferences#neurofeedback"
        )

        plans.sign(session, clinician, patient.id, declined.id)
        page = as_user(patient.user, browser=True).get("/patient/today")
        assert (
            "Neurofeedback is not in your plan because you said no to it. You can change this on your "
            "preferences page." in text(page.text)
        )
        assert (
            '<a href="/patient/therapy-preferences#neurofeedback">Your therapy preferences</a>' in page.text
        )

    def test_without_consent_neurofeedback_waits_and_the_patient_is_pointed_to_the_consent_page(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        builders.prefer(session, patient, {Module.NEUROFEEDBACK: Choice.WANT})
        waiting = plans.propose(session, clinician, patient.id)
        assert "neurofeedback" not in modules(waiting)
        assert fired(waiting)["consent_needed_neurofeedback"]["href"] == "/patient/consent#neurofeedback"

        builders.consent_to(session, patient, ConsentKind.NEUROFEEDBACK)
        agreed = plans.propose(session, clinician, patient.id)
        assert modules(agreed)["neurofeedback"] == 2
        assert "neurofeedback_requested" in fired(agreed)

    def test_physiotherapy_and_two_medicines_that_did_not_help_are_named(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        builders.tried(session, patient, Category.PHYSIOTHERAPY, Effect.NONE)
        builders.tried(session, patient, Category.MEDICINE, Effect.NONE, medicine_class=MedicineClass.NSAID)
        builders.tried(session, patient, Category.MEDICINE, Effect.NONE, medicine_class=MedicineClass.OPIOID)
        version = plans.propose(session, clinician, patient.id)
        reasons = fired(version)
        assert reasons["earlier_treatments_not_effective"]["reason_patient"].startswith(
            "Because physiotherapy, NSAIDs and opioids did not help you"
        )
        assert version.content["review_reasons"] == [reasons["medicines_not_effective"]["reason_clinician"]]
        assert {"physical_therapist", "psychologist"} <= set(version.content["disciplines"])

    def test_a_goal_is_named_in_the_reason_it_adds(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        builders.prefer(session, patient, goals=[Goal.FEWER_FLARE_UPS])
        version = plans.propose(session, clinician, patient.id)
        assert version.content["modules"][1] == {
            "id": "cbt",
            "sessions_per_week": 1,
            "weeks": 8,
            "focus": ["activity_pacing"],
        }
        assert (
            "Because you said fewer flare-ups matter to you"
            in fired(version)["goal_fewer_flare_ups"]["reason_patient"]
        )

    def test_severe_pain_and_leg_pain_at_intake_change_the_plan(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, average=8, leg_pain=True)
        version = plans.propose(session, clinician, patient.id)
        assert version.content["intensity"] == "intensive"
        assert fired(version)["severe_pain"]["reason_patient"].startswith(
            "Your average pain was 8 out of 10 in the week before treatment"
        )
        assert "physical_therapist" in version.content["disciplines"]
        assert "leg_pain_physical_therapist" in fired(version)

    def test_a_low_scorer_without_licensed_questionnaires_gets_cbt_from_the_clinicians_judgement(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        low_scorer(session, patient)
        before = plans.propose(session, clinician, patient.id)
        assert list(modules(before)) == ["prt"]
        assert before.content["disciplines"] == ["pain_specialist"]

        builders.judge(
            session, clinician, patient, FlagKind.WORRY_OR_LOW_MOOD, "Tearful about work; expects the worst"
        )
        after = plans.propose(session, clinician, patient.id)
        assert list(modules(after)) == ["prt", "cbt"]
        assert "psychologist" in after.content["disciplines"]
        reason = fired(after)["clinician_worry_or_low_mood"]["reason_clinician"]
        assert reason.startswith(f"{clinician.full_name} recorded on ")
        assert "(“Tearful about work; expects the worst”)" in reason

    def test_a_low_scorer_who_wants_better_sleep_gets_mindfulness(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        low_scorer(session, patient)
        builders.prefer(session, patient, goals=[Goal.SLEEP_BETTER])
        version = plans.propose(session, clinician, patient.id)
        assert list(modules(version)) == ["prt", "mindfulness"]


class TestClinicianView:
    def test_the_plan_page_shows_the_plans_own_reasons_with_their_source_and_links_to_the_judgement_page(
        self, session: Session, patient: Patient, clinician: User, as_user: Callable[..., TestClient]
    ) -> None:
        builders.intake(session, patient)
        builders.prefer(session, patient, {Module.NEUROFEEDBACK: Choice.WANT})
        plans.propose(session, clinician, patient.id)
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/plan")
        words = text(page.text)
        assert (
            "consent_needed_neurofeedback — Neurofeedback left out until the patient has agreed to it"
            in words
        )
        assert "General Medical Council, Decision making and consent" in words
        assert f'href="/clinician/patients/{patient.id}/clinical-flags"' in page.text
