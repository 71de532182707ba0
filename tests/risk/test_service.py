"""After a positive self-harm answer: what pauses practice, the risk assessment, the safety plan, a blank item 9."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments import alerts
from painrewire.assessments import service as assessments
from painrewire.assessments.models import AlertKind, QuestionnaireResponse, SafetyAlert
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.risk import service as risk
from painrewire.risk.models import RiskLevel, SafetyPlan
from painrewire.risk.schemas import RiskAssessmentCreate, SafetyPlanCreate
from tests.risk.factories import (
    PHQ_ITEM9_ZERO,
    assessment_body,
    make_assessment,
    make_plan,
    member,
    plan_body,
    positive_phq9,
)

NOTE = "Asked her on the phone: no thoughts of self-harm now."
NOT_REVIEWERS = [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER]


class TestPositiveItem9:
    def test_without_a_safety_plan_the_alert_pauses_practice(
        self, session: Session, patient: Patient
    ) -> None:
        alert = positive_phq9(session, patient)
        assert alert.kind is AlertKind.SELF_HARM_RISK and alert.urgency == "urgent"
        assert alert.holds_practice is True
        assert assessments.safety_hold(session, patient.id) == [alert]
        assert alert.details["practice"] == "no current safety plan"

    def test_under_a_current_plan_the_alert_opens_and_practice_goes_on(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        make_plan(session, clinician, patient, settings)
        alert = positive_phq9(session, patient)
        assert alert.is_open and alert.holds_practice is False
        assert assessments.safety_hold(session, patient.id) == []
        assert "safety plan version 1 is current, so practice goes on unless you pause it" in alert.summary
        assert alert.details["safety_plan_version"] == 1

    def test_the_clinicians_pause_holds_practice_and_resume_lets_it_go_on(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        make_plan(session, clinician, patient, settings)
        alert = positive_phq9(session, patient)
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        alerts.set_practice_hold(session, psychologist, alert.id, hold=True, settings=settings)
        assert assessments.safety_hold(session, patient.id) == [alert]
        alerts.set_practice_hold(session, clinician, alert.id, hold=False, settings=settings)
        assert assessments.safety_hold(session, patient.id) == []
        changes = alert.details["practice_hold_changes"]
        assert [(c["hold"], c["by"]) for c in changes] == [
            (True, str(psychologist.id)),
            (False, str(clinician.id)),
        ]
        assert alert.is_open

    def test_a_plan_counts_for_the_review_period_and_not_a_day_longer(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        assert settings.safety_plan_review_days == 30
        plan = make_plan(session, clinician, patient, settings, at=utcnow() - timedelta(days=29, hours=23))
        assert positive_phq9(session, patient).holds_practice is False
        plan.written_at = utcnow() - timedelta(days=30, minutes=1)
        session.flush()
        assert positive_phq9(session, patient).holds_practice is True

    def test_a_withdrawn_plan_no_longer_lets_practice_go_on(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        plan = make_plan(session, clinician, patient, settings)
        risk.withdraw_safety_plan(
            session, clinician, patient.id, plan.id, reason="Wrong patient's contacts", settings=settings
        )
        assert positive_phq9(session, patient).holds_practice is True

    def test_a_high_risk_judgement_keeps_practice_paused_even_under_a_plan(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        make_plan(session, clinician, patient, settings)
        make_assessment(
            session,
            clinician,
            patient,
            settings,
            suicidal_thoughts=True,
            plan=True,
            risk_level="high",
            actions=["crisis_team_referral", "safety_plan"],
        )
        alert = positive_phq9(session, patient)
        assert alert.holds_practice is True
        assert alert.details["practice"] == "the latest risk assessment judged the risk high"

    def test_an_item_9_of_zero_opens_nothing(self, session: Session, patient: Patient) -> None:
        submitted = assessments.submit_response(session, patient.user, patient.id, "phq9", PHQ_ITEM9_ZERO)
        assert submitted.alerts == []


class TestBlankItem9:
    def test_a_clinicians_paper_entry_with_item_9_blank_asks_the_question(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        physio = member(session, patient, Discipline.PHYSICAL_THERAPIST)
        submitted = assessments.submit_response(session, physio, patient.id, "phq9", [1] * 8 + [None])
        [alert] = submitted.alerts
        assert alert.kind is AlertKind.SELF_HARM_UNASKED
        assert alert.urgency == "urgent"
        assert "left blank on the paper form" in alert.summary
        assert "Please ask the patient this question" in alert.summary
        assert alert.holds_practice is False and alert.response_id == submitted.response.id  # type: ignore[union-attr]
        # Closed with the self-harm actions, by a self-harm reviewer only.
        with pytest.raises(Forbidden, match="psychologist or pain specialist"):
            alerts.acknowledge_alert(
                session, physio, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
            )
        closed = alerts.acknowledge_alert(
            session, clinician, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
        )
        assert closed.action_taken == "asked_no_current_risk"

    def test_a_patient_can_never_leave_item_9_blank(self, session: Session, patient: Patient) -> None:
        with pytest.raises(InvalidInput, match="Please answer item 9") as refused:
            assessments.submit_response(session, patient.user, patient.id, "phq9", [1] * 8 + [None])
        assert refused.value.field == "item_9"
        stored = session.scalar(
            select(func.count())
            .select_from(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
        )
        assert stored == 0
        assert session.scalars(select(SafetyAlert).where(SafetyAlert.patient_id == patient.id)).all() == []


class TestPracticeHold:
    @pytest.mark.parametrize("discipline", NOT_REVIEWERS)
    def test_only_a_self_harm_reviewer_pauses_or_resumes(
        self, session: Session, patient: Patient, settings: Settings, discipline: Discipline
    ) -> None:
        alert = positive_phq9(session, patient)
        other = member(session, patient, discipline)
        with pytest.raises(Forbidden, match="Only a psychologist or pain specialist on the care team"):
            alerts.set_practice_hold(session, other, alert.id, hold=False, settings=settings)
        assert alert.holds_practice is True

    def test_the_patient_and_clinicians_off_the_team_cannot(
        self, session: Session, patient: Patient, other_clinician: User, settings: Settings
    ) -> None:
        alert = positive_phq9(session, patient)
        with pytest.raises(Forbidden):
            alerts.set_practice_hold(session, patient.user, alert.id, hold=False, settings=settings)
        with pytest.raises(NotFound):
            alerts.set_practice_hold(session, other_clinician, alert.id, hold=False, settings=settings)

    def test_a_red_flag_always_pauses_practice_until_closed(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        flag = alerts.raise_alert(
            session,
            patient,
            kind=AlertKind.RED_FLAG,
            urgency="urgent",
            summary="Red flag at intake: fracture",
        )
        with pytest.raises(Conflict, match="cannot be resumed"):
            alerts.set_practice_hold(session, clinician, flag.id, hold=False, settings=settings)
        assert assessments.safety_hold(session, patient.id) == [flag]

    def test_a_closed_alert_cannot_be_paused(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        alert = positive_phq9(session, patient)
        alerts.acknowledge_alert(
            session, clinician, alert.id, action="risk_assessed_safety_plan", note=NOTE, settings=settings
        )
        with pytest.raises(Conflict, match="already acknowledged"):
            alerts.set_practice_hold(session, clinician, alert.id, hold=True, settings=settings)
        assert assessments.safety_hold(session, patient.id) == []


class TestRiskAssessment:
    @pytest.mark.parametrize(
        ("answers", "indicated"),
        [
            ({}, RiskLevel.LOW),  # thoughts of death only
            ({"suicidal_thoughts": True}, RiskLevel.LOW),
            ({"suicidal_thoughts": True, "method": True}, RiskLevel.MODERATE),
            ({"suicidal_thoughts": True, "method": True, "intent": True}, RiskLevel.HIGH),
            ({"suicidal_thoughts": True, "plan": True}, RiskLevel.HIGH),
            ({"recent_behaviour": True}, RiskLevel.HIGH),
        ],
    )
    def test_a_psychologist_records_one_beside_what_the_answers_point_to(
        self,
        session: Session,
        patient: Patient,
        settings: Settings,
        answers: dict[str, bool],
        indicated: RiskLevel,
    ) -> None:
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        level = indicated.value
        done = make_assessment(session, psychologist, patient, settings, risk_level=level, **answers)
        assert done.indicated_level is indicated and done.risk_level is indicated
        assert done.assessed_by_id == psychologist.id
        assert risk.list_risk_assessments(session, psychologist, patient.id) == [done]

    @pytest.mark.parametrize("discipline", NOT_REVIEWERS)
    def test_other_disciplines_may_read_but_not_record(
        self, session: Session, patient: Patient, settings: Settings, discipline: Discipline
    ) -> None:
        other = member(session, patient, discipline)
        with pytest.raises(Forbidden, match="Only a psychologist or pain specialist on the care team"):
            make_assessment(session, other, patient, settings)
        assert risk.list_risk_assessments(session, other, patient.id) == []

    def test_off_the_care_team_is_not_found_and_the_patient_is_refused(
        self, session: Session, patient: Patient, other_clinician: User, settings: Settings
    ) -> None:
        with pytest.raises(NotFound):
            make_assessment(session, other_clinician, patient, settings)
        with pytest.raises(Forbidden, match="Your safety plan is on your safety page"):
            risk.list_risk_assessments(session, patient.user, patient.id)

    def test_a_method_without_active_thoughts_is_refused_naming_the_field(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        with pytest.raises(InvalidInput, match="follows active thoughts of suicide") as refused:
            make_assessment(session, clinician, patient, settings, method=True)
        assert refused.value.field == "method"

    def test_a_judgement_lower_than_the_answers_point_to_needs_its_reason(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        answers = {"suicidal_thoughts": True, "plan": True, "risk_level": "moderate"}
        with pytest.raises(InvalidInput, match="it is moderate, and the answers point to high") as refused:
            make_assessment(session, clinician, patient, settings, **answers)
        assert refused.value.field == "judgement_reason"
        reason = "The plan is two years old and given up; her son holds her medicines; daily contact agreed."
        done = make_assessment(session, clinician, patient, settings, judgement_reason=reason, **answers)
        assert done.risk_level is RiskLevel.MODERATE and done.indicated_level is RiskLevel.HIGH
        assert done.judgement_reason == reason

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"protective_factors": "   "}, "protective_factors"),
            ({"access_to_means": ""}, "access_to_means"),
            ({"actions": []}, "actions"),
            ({"actions": ["prayed"]}, "actions"),
            ({"note": "ok"}, "note"),
        ],
    )
    def test_what_is_missing_is_named_and_nothing_is_stored(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        changes: dict[str, object],
        field: str,
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            make_assessment(session, clinician, patient, settings, **changes)
        assert refused.value.field == field
        assert risk.risk_assessments_of(session, patient) == []

    def test_the_alert_it_answers_must_be_a_self_harm_alert_of_this_patient(
        self, session: Session, patient: Patient, other_patient: Patient, clinician: User, settings: Settings
    ) -> None:
        theirs = positive_phq9(session, other_patient)
        data = RiskAssessmentCreate.model_validate(assessment_body(alert_id=str(theirs.id)))
        with pytest.raises(InvalidInput) as refused:
            risk.record_risk_assessment(session, clinician, patient.id, data, settings=settings)
        assert refused.value.field == "alert_id"
        mine = positive_phq9(session, patient)
        data = RiskAssessmentCreate.model_validate(assessment_body(alert_id=str(mine.id)))
        assert (
            risk.record_risk_assessment(session, clinician, patient.id, data, settings=settings).alert_id
            == mine.id
        )


class TestSafetyPlan:
    def test_each_save_is_a_new_version_and_the_history_is_kept(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        first = make_plan(session, clinician, patient, settings)
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        changed = plan_body(people_to_ask=["My sister Ana, 07700 900123", "My friend Joe, 07700 900456"])
        second = risk.save_safety_plan(
            session,
            psychologist,
            patient.id,
            SafetyPlanCreate.model_validate(changed | {"based_on_version": 1}),
            settings=settings,
        )
        assert (first.version, second.version) == (1, 2)
        assert [p.version for p in risk.plan_history(session, clinician, patient.id)] == [2, 1]
        assert first.people_to_ask == ["My sister Ana, 07700 900123"]
        assert risk.current_plan(session, patient.id, settings=settings) == second
        assert second.written_by_id == psychologist.id

    def test_professionals_start_with_the_clinic_the_crisis_line_and_the_emergency_number(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        plan = make_plan(session, clinician, patient, settings)
        assert plan.professionals == [
            f"{settings.clinic_name}: {settings.clinic_phone}",
            f"Crisis line: {settings.crisis_line}",
            f"If you are in danger now: call {settings.emergency_number}",
        ]

    def test_an_edit_of_an_older_version_is_a_conflict(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        make_plan(session, clinician, patient, settings)
        make_plan(session, clinician, patient, settings)
        stale = SafetyPlanCreate.model_validate(plan_body(based_on_version=1))
        with pytest.raises(Conflict, match="Version 2 of this plan was saved after"):
            risk.save_safety_plan(session, clinician, patient.id, stale, settings=settings)
        assert len(risk.plans_of(session, patient)) == 2

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"warning_signs": ["  ", ""]}, "warning_signs"),
            ({"safe_environment": []}, "safe_environment"),
            ({"professionals": []}, "professionals"),
            ({"coping_strategies": ["x" * 301]}, "coping_strategies"),
            ({"made_with_patient": False}, "made_with_patient"),
        ],
    )
    def test_every_section_needs_a_line_and_the_patient_takes_part(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        changes: dict[str, object],
        field: str,
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            risk.save_safety_plan(
                session,
                clinician,
                patient.id,
                SafetyPlanCreate.model_validate(plan_body(**changes)),
                settings=settings,
            )
        assert refused.value.field == field
        assert session.scalars(select(SafetyPlan).where(SafetyPlan.patient_id == patient.id)).all() == []

    @pytest.mark.parametrize("discipline", NOT_REVIEWERS)
    def test_other_disciplines_cannot_write_one(
        self, session: Session, patient: Patient, settings: Settings, discipline: Discipline
    ) -> None:
        other = member(session, patient, discipline)
        with pytest.raises(Forbidden, match="Only a psychologist or pain specialist on the care team"):
            make_plan(session, other, patient, settings)

    def test_the_reviewers_are_a_clinic_setting(
        self, session: Session, patient: Patient, settings: Settings
    ) -> None:
        physio = member(session, patient, Discipline.PHYSICAL_THERAPIST)
        wider = settings.model_copy(
            update={"self_harm_reviewer_disciplines": ["psychologist", "physical_therapist"]}
        )
        assert make_plan(session, physio, patient, wider).version == 1

    def test_only_the_newest_version_is_withdrawn_and_then_no_plan_is_shown(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        first = make_plan(session, clinician, patient, settings)
        second = make_plan(session, clinician, patient, settings)
        with pytest.raises(Conflict, match="Only the newest version"):
            risk.withdraw_safety_plan(
                session, clinician, patient.id, first.id, reason="Outdated", settings=settings
            )
        with pytest.raises(InvalidInput) as refused:
            risk.withdraw_safety_plan(
                session, clinician, patient.id, second.id, reason="  ", settings=settings
            )
        assert refused.value.field == "reason"
        risk.withdraw_safety_plan(
            session, clinician, patient.id, second.id, reason="Outdated", settings=settings
        )
        assert risk.patient_plan(session, patient) is None
        assert risk.current_plan(session, patient.id, settings=settings) is None
        with pytest.raises(NotFound):
            risk.read_safety_plan(session, patient.user, patient.id)

    def test_the_patient_reads_their_own_plan_and_nobody_elses(
        self, session: Session, patient: Patient, other_patient: Patient, clinician: User, settings: Settings
    ) -> None:
        plan = make_plan(session, clinician, patient, settings)
        assert risk.read_safety_plan(session, patient.user, patient.id) == plan
        with pytest.raises(NotFound):
            risk.read_safety_plan(session, other_patient.user, patient.id)


def test_admins_record_nothing(session: Session, patient: Patient, admin: User, settings: Settings) -> None:
    assert admin.role == Role.ADMIN
    with pytest.raises(Forbidden):
        make_plan(session, admin, patient, settings)
