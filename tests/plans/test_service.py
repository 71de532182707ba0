"""Plans: the rules propose from a stored assessment, a care-team clinician edits and signs, every change is a
version with who, when and why, a safety alert holds the plan, and the patient's week follows the signed plan."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments.models import AssignmentStatus, QuestionnaireAssignment
from painrewire.consent.models import ConsentKind
from painrewire.diary import service as diary
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.plans.schemas import PlanEdit
from painrewire.practice.models import Module
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from tests.fixtures.factories import create_patient, create_user
from tests.plans import builders

NOW = datetime.now(UTC)


def many_signs(session: Session, patient: Patient) -> None:
    items = content.checklist().items
    prt.save_checklist(session, patient.user, patient.id, {item.id: i < 8 for i, item in enumerate(items)})


def edit_of(view: plans.VersionView, reason: str = "Agreed with the patient.", **changes: object) -> PlanEdit:
    """An edit that keeps the version as it is, except for ``changes``."""
    from painrewire.plans.rules import schedule_words

    p = view.proposal
    data: dict[str, object] = {
        "reason": reason,
        "modules": [
            {"id": m.id, "sessions_per_week": m.sessions_per_week, "weeks": m.weeks, "focus": list(m.focus)}
            for m in p.modules
        ],
        "disciplines": list(p.disciplines),
        "questionnaires": [
            {"instrument": q.instrument, "schedule": list(schedule_words(q.weeks, p.end_week))}
            for q in p.questionnaires
        ],
    }
    data.update(changes)
    return PlanEdit.model_validate(data)


def latest_view(session: Session, clinician: User, patient: Patient) -> plans.VersionView:
    return plans.versions(session, clinician, patient.id)[0]


class TestPropose:
    def test_a_catastrophising_fearful_patient_with_many_neuroplastic_signs_gets_the_reasons_stored(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, weeks=52)
        builders.answer(session, patient, "pcs", builders.PCS_34, by=clinician)
        builders.answer(session, patient, "tsk11", builders.TSK11_30, by=clinician)
        many_signs(session, patient)

        version = plans.propose(session, clinician, patient.id)

        assert (version.number, version.status, version.created_by_id) == (
            1,
            VersionStatus.PROPOSED,
            clinician.id,
        )
        assert (
            version.change_reason
            == "Proposed by the clinic's rules (version 2026-1) from the current assessment."
        )
        fired = {f["id"]: f for f in version.content["fired"]}
        # Pain for 52 weeks, average pain 6 last week (the intake), cleared by a pain specialist: like the
        # PRT trial's patients, so its results are quoted with who was studied (a rule added with them).
        assert list(fired) == [
            "prt_core",
            "prt_trial_results",
            "standard_questionnaires",
            "catastrophising_thought_records",
            "kinesiophobia_graded_exposure",
            "fear_avoidance_both_high",
            "many_neuroplastic_signs",
        ]
        assert fired["catastrophising_thought_records"]["reason_clinician"] == (
            "Pain catastrophising score 34 is 30 or more: CBT thought records with a psychologist."
        )
        assert fired["many_neuroplastic_signs"]["reason_clinician"] == (
            "The neuroplastic pain checklist shows many signs: PRT is the lead method, with emphasis on the "
            "evidence the patient already has."
        )
        assert fired["prt_core"]["reason_clinician"].startswith(
            "Chronic back pain for 52 weeks: PRT core course"
        )
        assert "66%" not in fired["prt_core"]["reason_patient"]
        assert fired["prt_trial_results"]["quotes_evidence"] is True
        assert (
            "back pain for 6 months or more, average pain of 4 out of 10 or more"
            in (fired["prt_trial_results"]["reason_patient"])
        )
        assert [m["id"] for m in version.content["modules"]] == ["prt", "cbt"]
        assert version.content["intensity"] == "intensive"
        assert version.content["disciplines"] == ["pain_specialist", "physical_therapist", "psychologist"]

    def test_poor_sleep_in_the_diary_offers_neurofeedback_saying_why(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, weeks=40)
        today = patient.local_today()
        for back in range(6):
            diary.save_entry(
                session,
                patient.user,
                patient.id,
                today - timedelta(days=back),
                DiaryEntryWrite(pain_now=5, average_pain=5, interference=4, mood=5, sleep_quality=3),
            )
        builders.consent_to(session, patient, ConsentKind.NEUROFEEDBACK)
        version = plans.propose(session, clinician, patient.id)
        (rule,) = [f for f in version.content["fired"] if f["id"] == "neurofeedback_for_poor_sleep"]
        assert rule["reason_clinician"].startswith(
            "Poor sleep in the diary over the last two weeks: neurofeedback offered"
        )
        assert rule["reason_patient"].endswith("and you can say no.")
        assert rule["href"] == "/patient/therapy-preferences#neurofeedback"
        assert "neurofeedback_practitioner" in version.content["disciplines"]

    def test_slow_left_right_judgement_and_low_neurofeedback_reward_reach_the_rules(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        from painrewire.neurofeedback.models import NeurofeedbackSession, SessionStatus
        from painrewire.programs.gmi.models import LateralityBlock

        builders.intake(session, patient, weeks=80)
        session.add(
            LateralityBlock(
                patient_id=patient.id,
                level=1,
                seed=1,
                timeout_ms=5000,
                plan=[],
                scores={"left_right_flag": True},
                accuracy=0.625,
                median_rt_ms=2450.0,
            )
        )
        for rate in [0.5, 0.4] * 5 + [None]:  # ten completed sessions at a 45% mean reward rate, one unscored
            session.add(
                NeurofeedbackSession(
                    patient_id=patient.id,
                    protocol="smr_theta",
                    source="synthetic",
                    planned_seconds=1200,
                    baseline_seconds=120,
                    target_reward_rate=0.7,
                    status=SessionStatus.COMPLETED,
                    summary={"reward_rate": rate} if rate is not None else {},
                )
            )
        session.flush()
        profile = plans.build_profile(session, patient)
        assert profile.gmi is not None and (profile.gmi.accuracy, profile.gmi.left_right_flag) == (
            0.625,
            True,
        )
        assert profile.neurofeedback is not None and profile.neurofeedback.sessions_done == 11
        assert profile.neurofeedback.reward_rate == pytest.approx(0.45)
        version = plans.propose(session, clinician, patient.id)
        fired = {f["id"]: f["reason_clinician"] for f in version.content["fired"]}
        assert fired["laterality_gmi"] == (
            "Left/right judgement of trunk images: accuracy 62.5% (target 80% or more), median reaction time "
            "2450 ms (up to 2100 ms expected), left/right difference flagged: yes. Graded motor imagery, 6 weeks, "
            "daily."
        )
        assert fired["neurofeedback_low_reward_review"] == (
            "After 11 neurofeedback sessions the reward rate is 45%, below 60%: review thresholds and protocol."
        )
        assert version.content["review_reasons"] == [fired["neurofeedback_low_reward_review"]]

    def test_without_an_intake_the_rules_cannot_propose(
        self, session: Session, new_patient: Patient, clinician: User
    ) -> None:
        with pytest.raises(plans.NoAssessment, match="There is no intake yet"):
            plans.propose(session, clinician, new_patient.id)

    def test_a_patient_cannot_propose_their_own_plan(self, session: Session, patient: Patient) -> None:
        builders.intake(session, patient)
        with pytest.raises(
            Forbidden, match=re.escape("Only a clinician on the patient's care team can propose a plan.")
        ):
            plans.propose(session, patient.user, patient.id)

    def test_a_clinician_outside_the_care_team_cannot_see_that_the_patient_exists(
        self, session: Session, patient: Patient, other_clinician: User
    ) -> None:
        builders.intake(session, patient)
        with pytest.raises(NotFound):
            plans.propose(session, other_clinician, patient.id)
        assert session.scalar(select(PlanVersion)) is None

    def test_a_new_proposal_supersedes_the_one_still_waiting(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        first = plans.propose(session, clinician, patient.id)
        second = plans.propose(session, clinician, patient.id)
        assert (first.status, second.status, second.number) == (
            VersionStatus.SUPERSEDED,
            VersionStatus.PROPOSED,
            2,
        )


class TestSign:
    def test_signing_keeps_who_when_and_the_note_and_supersedes_the_signed_version(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        first = plans.propose(session, clinician, patient.id)
        plans.sign(session, clinician, patient.id, first.id, note="Talked it through.")
        assert (first.status, first.signed_by_id, first.sign_note) == (
            VersionStatus.SIGNED,
            clinician.id,
            "Talked it through.",
        )
        assert first.signed_at is not None and abs(first.signed_at - datetime.now(UTC)) < timedelta(minutes=1)
        second = plans.edit(
            session,
            clinician,
            patient.id,
            edit_of(latest_view(session, clinician, patient), intensity="intensive"),
        )
        plans.sign(session, clinician, patient.id, second.id)
        assert (first.status, second.status) == (VersionStatus.SUPERSEDED, VersionStatus.SIGNED)
        assert plans.signed_plan(session, patient) is second

    def test_only_the_newest_proposed_version_can_be_signed(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        first = plans.propose(session, clinician, patient.id)
        plans.propose(session, clinician, patient.id)
        with pytest.raises(
            Conflict, match=re.escape("Version 1 is superseded; only a proposed version can be signed.")
        ):
            plans.sign(session, clinician, patient.id, first.id)

    def test_signing_needs_a_clinician_on_the_care_team(
        self, session: Session, patient: Patient, clinician: User, other_clinician: User, admin: User
    ) -> None:
        builders.intake(session, patient)
        version = plans.propose(session, clinician, patient.id)
        with pytest.raises(
            Forbidden, match=re.escape("Only a clinician on the patient's care team can sign a plan.")
        ):
            plans.sign(session, patient.user, patient.id, version.id)
        with pytest.raises(NotFound):
            plans.sign(session, other_clinician, patient.id, version.id)
        with pytest.raises(Forbidden):
            plans.sign(session, admin, patient.id, version.id)
        assert version.status == VersionStatus.PROPOSED

    def test_a_red_flag_holds_the_plan_until_the_alert_is_cleared_and_the_plan_proposed_again(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        (alert,) = builders.intake(session, patient, flags=("ce_saddle",)).alerts
        held = plans.propose(session, clinician, patient.id)
        assert held.content["held"] is True
        assert held.content["fired"][0]["id"] == "red_flag_hold"
        with pytest.raises(
            plans.PlanHeld,
            match="The plan is on hold until a clinician clears it: Open safety alert: Red flag",
        ):
            plans.sign(session, clinician, patient.id, held.id)
        state = plans.plan_state_for(session, patient)
        assert not state.can_sign and state.holds[0].alert_id == alert.id

        builders.clear(session, clinician, alert)
        with pytest.raises(
            Conflict,
            match=re.escape("The alert has been cleared: propose the plan again from the assessment."),
        ):
            plans.sign(session, clinician, patient.id, held.id)
        fresh = plans.propose(session, clinician, patient.id)
        assert fresh.content["held"] is False
        plans.sign(session, clinician, patient.id, fresh.id)
        assert fresh.status == VersionStatus.SIGNED

    def test_signing_assigns_the_questionnaires_due_at_the_start(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        builders.answer(session, patient, "pcs", builders.PCS_34, by=clinician)
        version = plans.propose(session, clinician, patient.id)
        signed = plans.sign(session, clinician, patient.id, version.id)
        # the standard baseline set, except the PCS the patient has just filled in
        assert signed.assigned == ["peg", "odi", "tsk11", "phq9", "gad7", "pseq"]
        rows = session.scalars(
            select(QuestionnaireAssignment).where(QuestionnaireAssignment.patient_id == patient.id)
        )
        assert sorted((a.instrument_id, a.status, a.assigned_by_id) for a in rows) == sorted(
            (i, AssignmentStatus.OPEN, clinician.id) for i in signed.assigned
        )
        assert plans.assign_due_questionnaires(session, clinician, patient.id) == []


class TestEdit:
    def test_an_edit_is_a_new_version_with_its_reason_and_what_changed(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        first = plans.propose(session, clinician, patient.id)
        view = latest_view(session, clinician, patient)
        modules = [
            {
                "id": "prt",
                "sessions_per_week": 2,
                "weeks": 6,
                "focus": ["pain_education", "somatic_tracking"],
            },
            {"id": "mindfulness", "sessions_per_week": 5, "weeks": 6, "focus": ["breathing_practice"]},
        ]
        questionnaires = [
            {"instrument": "peg", "schedule": ["baseline", "every_2_weeks", "end"]},
            {"instrument": "phq9", "schedule": ["baseline", "end"]},
        ]
        second = plans.edit(
            session,
            clinician,
            patient.id,
            edit_of(
                view,
                reason="  Patient prefers breathing practice to thought records.  ",
                modules=modules,
                disciplines=["pain_specialist", "psychologist"],
                questionnaires=questionnaires,
            ),
        )
        assert (second.number, second.status, second.created_by_id) == (
            2,
            VersionStatus.PROPOSED,
            clinician.id,
        )
        assert second.change_reason == "Patient prefers breathing practice to thought records."
        assert first.status == VersionStatus.SUPERSEDED
        newest = latest_view(session, clinician, patient)
        assert newest.proposal.end_week == 6
        assert [(q.instrument, q.weeks) for q in newest.proposal.questionnaires] == [
            ("peg", (0, 2, 4, 6)),
            ("phq9", (0, 6)),
        ]
        assert newest.changes == [
            "Pain reprocessing therapy: 4 → 6 weeks.",
            "Pain reprocessing therapy: removed focus neuroplastic pain checklist, reappraisal journal.",
            "Added Mindfulness: 5 a week for 6 weeks, focus: breathing practice.",
            "Added psychologist to the care team.",
            "PEG: weeks 0, 2 and 4 → weeks 0, 2, 4 and 6.",
            "Oswestry Disability Index no longer repeated (was weeks 0 and 4).",
            "Pain Catastrophizing Scale no longer repeated (was weeks 0 and 4).",
            "TSK-11 no longer repeated (was weeks 0 and 4).",
            "PHQ-9: weeks 0, 2 and 4 → weeks 0 and 6.",
            "GAD-7 no longer repeated (was weeks 0, 2 and 4).",
            "Pain Self-Efficacy no longer repeated (was weeks 0 and 4).",
        ]
        assert newest.proposal.fired == view.proposal.fired  # the rules' reasons stay with the plan

    def test_an_edit_that_changes_nothing_is_refused(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        with pytest.raises(InvalidInput, match=re.escape("Nothing changed from version 1.")):
            plans.edit(session, clinician, patient.id, edit_of(latest_view(session, clinician, patient)))

    @pytest.mark.parametrize(
        ("modules", "message"),
        [
            ([], "A plan needs at least one module."),
            (
                [{"id": "cbt", "sessions_per_week": 1, "weeks": 8, "focus": ["body_scan"]}],
                "cbt has no focus 'body_scan'",
            ),
            (
                [
                    {"id": "cbt", "sessions_per_week": 1, "weeks": 8},
                    {"id": "cbt", "sessions_per_week": 2, "weeks": 8},
                ],
                "Each module can be in the plan once.",
            ),
        ],
    )
    def test_a_wrong_edit_is_refused_with_a_message_and_nothing_stored(
        self, session: Session, patient: Patient, clinician: User, modules: list[object], message: str
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        with pytest.raises(InvalidInput, match=message):
            plans.edit(
                session,
                clinician,
                patient.id,
                edit_of(latest_view(session, clinician, patient), modules=modules),
            )
        assert len(plans.versions(session, clinician, patient.id)) == 1

    def test_editing_before_any_proposal_is_refused(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        data = PlanEdit.model_validate(
            {
                "reason": "x" * 5,
                "modules": [{"id": "prt", "sessions_per_week": 2, "weeks": 4}],
                "disciplines": [],
            }
        )
        with pytest.raises(Conflict, match="There is no plan to change yet"):
            plans.edit(session, clinician, patient.id, data)


def signed_plan(
    session: Session, patient: Patient, clinician: User, *, started_days_ago: int = 0
) -> PlanVersion:
    builders.intake(session, patient)
    version = plans.propose(session, clinician, patient.id, now=NOW - timedelta(days=started_days_ago))
    plans.sign(session, clinician, patient.id, version.id)
    return version


class TestThisWeek:
    def test_the_week_lists_the_plans_tasks_with_what_is_done_today_and_this_week(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician, started_days_ago=15)  # week 3: day 15 is the first of week 3
        for days_ago, activity in [
            (1, "somatic_tracking"),
            (0, "somatic_tracking"),
            (0, "lesson"),
            (3, "lesson"),
        ]:
            builders.practise(session, patient, Module.PRT, activity, at=NOW - timedelta(days=days_ago))
        week = plans.this_week_for(session, patient, now=NOW)
        assert week.week == 3 and not week.paused
        assert week.week_starts == patient.local_today(NOW) - timedelta(days=1)
        tasks = {t.id: (t.done, t.target, t.done_today) for t in week.tasks}
        # the checklist is a week 1 task; the day-3-ago lesson falls in week 2
        assert tasks == {"prt_lesson": (1, 2, 1), "prt_somatic_tracking": (2, 5, 1), "prt_journal": (0, 3, 0)}
        assert week.next_task is not None and week.next_task.id == "prt_journal"
        assert week.streak_days == 2
        assert week.days_practised_this_week == 2

    def test_without_a_signed_plan_the_week_says_the_plan_is_being_prepared(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        week = plans.this_week_for(session, patient)
        assert week.plan is None and week.waiting_for_signature and week.tasks == []

    def test_an_open_safety_alert_pauses_the_tasks_until_a_clinician_clears_it(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)
        alert = builders.open_alert(session, patient)
        week = plans.this_week_for(session, patient)
        assert week.paused and week.next_task is None
        assert [h.patient_message for h in week.holds] == [
            "A clinician will talk with you before your program goes on. If you feel unsafe now, please use the "
            "crisis support on your safety page."
        ]
        builders.clear(session, clinician, alert)
        week = plans.this_week_for(session, patient)
        assert not week.paused and week.next_task is not None

    def test_questionnaires_due_by_the_plan_show_in_the_week_and_go_when_filled_in(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        signed_plan(session, patient, clinician)
        due = {q.occurrence.instrument for q in plans.this_week_for(session, patient).questionnaires_due}
        assert due == {"peg", "odi", "pcs", "tsk11", "phq9", "gad7", "pseq"}
        builders.answer(session, patient, "gad7", builders.GAD7_MILD)
        due = {q.occurrence.instrument for q in plans.this_week_for(session, patient).questionnaires_due}
        assert "gad7" not in due


def test_the_clinicians_home_lists_plans_waiting_for_a_signature_held_ones_marked(
    session: Session, clinician: User
) -> None:
    waiting = create_patient(session, care_team=[clinician], full_name="Wanda Waiting")
    held = create_patient(session, care_team=[clinician], full_name="Hal Held")
    done = create_patient(session, care_team=[clinician], full_name="Sid Signed")
    for p in (waiting, held, done):
        builders.intake(session, p)
        plans.propose(session, clinician, p.id)
    plans.sign(session, clinician, done.id, plans.versions(session, clinician, done.id)[0].version.id)
    builders.open_alert(session, held)
    listed = [(w.patient.user.full_name, w.held) for w in plans.waiting_for_signature(session, clinician)]
    assert listed == [("Wanda Waiting", False), ("Hal Held", True)]
    stranger = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
    assert plans.waiting_for_signature(session, stranger) == []
