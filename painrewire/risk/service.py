"""After a positive self-harm answer: the clinician's risk assessment, the safety plan, and what pauses practice.

Risk assessment
---------------
A positive PHQ-9 item 9 opens a self-harm alert and calls for a clinician-completed risk assessment. It is a
structured clinical note in this project's own words over the domains that the Columbia Suicide Severity Rating
Scale (C-SSRS) screener covers (Posner K et al. Am J Psychiatry 2011;168:1266-77): thoughts of death or of being
better off dead; active thoughts of suicide; a method; intent; a plan; self-harm or suicidal behaviour in the
last 3 months; plus protective factors, access to means, the clinician's judgement (low, moderate, high) and the
actions taken. It is **not** the C-SSRS: the C-SSRS's own questions are not reproduced here because the terms
for shipping its wording in this software were not confirmed. A clinic that has the Columbia Lighthouse
Project's permission can ask the C-SSRS itself in the conversation and record the answers in these domains.

The answers point to a level by a simple triage rule in the spirit of the screener's published triage:
a plan, intent or recent behaviour points to high; a method to moderate; otherwise low (`indicated_level`).
The clinician's judgement decides; when it is lower than the answers point to, they must say why.

Safety plan
-----------
Stanley B, Brown GK. Safety planning intervention: a brief intervention to mitigate suicide risk. Cogn Behav
Pract 2012;19:256-64. Six sections: warning signs; internal coping strategies; people and social settings for
distraction; people to ask for help; professionals and agencies to contact (pre-filled with the clinic's
phone, the crisis line and the emergency number); making the environment safe. The headings here are the
sections' names in this project's words, not the published template's text. The clinician writes it with the
patient; every save is a new version and the history is kept.

A safety plan is **current** (`current_plan`) when it is the newest version, not withdrawn, and saved within
``settings.safety_plan_review_days`` (30 by default; saving a reviewed plan again, even unchanged, restarts
the count). While a plan is current, a repeat positive item 9 opens an alert for review that does not pause
practice, unless the newest risk assessment judged the risk high; the clinician can pause practice on the
alert at any time (`assessments.alerts.set_practice_hold`). Without a current plan, a positive item 9 pauses
practice as before.

Who does what: only a self-harm reviewer (``settings.self_harm_reviewer_disciplines``, a psychologist or pain
specialist by default) on the care team records a risk assessment or a safety plan. Every clinician on the care
team reads them. The patient reads their own safety plan on their safety page, never the risk assessment in
the app: it is a clinician's record, written in clinical terms for the team, and what the patient needs from
it day to day is the plan they made together. It is part of their health record, so their data download
carries it, as it does their clinical notes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments import alerts
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.config import Settings, get_settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.risk.models import RiskAssessment, RiskLevel, SafetyPlan
from painrewire.risk.schemas import MAX_LINE, RiskAssessmentCreate, SafetyPlanCreate

#: What the clinician did after the risk assessment (one or more).
RISK_ACTIONS: dict[str, str] = {
    "safety_plan": "Safety plan made or reviewed with the patient",
    "means_restriction": "Agreed steps to limit access to means",
    "crisis_contacts_given": "Crisis and emergency contacts given",
    "follow_up_booked": "Follow-up contact booked",
    "increased_contact": "More frequent contact arranged",
    "gp_informed": "GP informed",
    "crisis_team_referral": "Referred to the crisis or home treatment team",
    "emergency_services": "Emergency services contacted or patient taken to an emergency department",
    "family_involved": "Family or a carer involved, with the patient's agreement",
}
RISK_LEVELS: dict[RiskLevel, str] = {
    RiskLevel.LOW: "Low",
    RiskLevel.MODERATE: "Moderate",
    RiskLevel.HIGH: "High",
}
#: The domains, as the clinician's form and the record name them.
DOMAINS: dict[str, str] = {
    "thoughts_of_death": "Thoughts of death, or of being better off dead",
    "suicidal_thoughts": "Active thoughts of suicide",
    "method": "Has thought of a method",
    "intent": "Some intent to act",
    "plan": "A plan, with intent to carry it out",
    "recent_behaviour": "Self-harm or suicidal behaviour in the last 3 months",
}
#: The shortest note that is a record (the same bar as closing an alert).
MIN_NOTE = alerts.MIN_NOTE_CHARS


@dataclass(frozen=True)
class Section:
    field: str
    title: str
    patient_title: str
    hint: str


#: Stanley and Brown's six sections: the clinician's heading, the patient's (short and plain), and a hint.
SECTIONS: tuple[Section, ...] = (
    Section(
        "warning_signs",
        "Warning signs",
        "Signs that a hard time is starting",
        "Thoughts, feelings, situations or things they do that come before a crisis.",
    ),
    Section(
        "coping_strategies",
        "Internal coping strategies",
        "Things I can do on my own",
        "What they can do alone to take their mind off things, without contacting anyone.",
    ),
    Section(
        "distractions",
        "People and social settings for distraction",
        "People and places that take my mind off things",
        "Who to be with, or where to go, for company and distraction (not to talk about the crisis).",
    ),
    Section(
        "people_to_ask",
        "People to ask for help",
        "People I can ask for help",
        "Family or friends they can tell and ask for help, with a phone number.",
    ),
    Section(
        "professionals",
        "Professionals and agencies to contact",
        "People whose job is to help",
        "The clinic, the crisis line and the emergency number are filled in; add their GP and others.",
    ),
    Section(
        "safe_environment",
        "Making the environment safe",
        "Making where I am safer",
        "What they agreed to do about medicines and other means of harm.",
    ),
)


def reviewers_label(settings: Settings) -> str:
    """``"a psychologist or pain specialist"``: who records a risk assessment or safety plan."""
    return alerts.owners_label(AlertKind.SELF_HARM_RISK, settings)


def is_reviewer(actor: User, settings: Settings) -> bool:
    return (
        actor.role == Role.CLINICIAN
        and actor.discipline is not None
        and actor.discipline.value in settings.self_harm_reviewer_disciplines
    )


def require_reviewer(actor: User, settings: Settings, what: str) -> None:
    if not is_reviewer(actor, settings):
        raise Forbidden(
            f"Only {reviewers_label(settings)} on the care team can record {what}. "
            "Please ask one of them; you can still read the record."
        )


def _require_clinician(actor: User) -> None:
    if actor.role == Role.PATIENT:
        raise Forbidden(
            "Risk assessments are part of your care team's record. Your safety plan is on your safety page, "
            "and your data download holds your whole record."
        )
    access.require_role(
        actor, Role.CLINICIAN, message="Risk assessments are read by the patient's care team."
    )


# --- risk assessment ----------------------------------------------------------------------------------


def indicated_level(
    *, suicidal_thoughts: bool, method: bool, intent: bool, plan: bool, recent_behaviour: bool
) -> RiskLevel:
    """The level the answers point to: intent, a plan or recent behaviour high; a method moderate; else low.

    Thoughts of death or of suicide without a method, intent or plan point to low: the clinician still
    judges, and the safety plan still applies.
    """
    if intent or plan or recent_behaviour:
        return RiskLevel.HIGH
    if method:
        return RiskLevel.MODERATE
    return RiskLevel.LOW


def _text(value: str, field: str, message: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(message, field=field)
    return cleaned


def record_risk_assessment(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: RiskAssessmentCreate,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> RiskAssessment:
    """A self-harm reviewer on the care team records a structured risk assessment."""
    _require_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="risk_assessment"
    )
    require_reviewer(actor, settings, "a risk assessment")
    if not data.suicidal_thoughts:
        for name in ("method", "intent", "plan"):
            if getattr(data, name):
                raise InvalidInput(
                    f"{DOMAINS[name]}: this follows active thoughts of suicide. "
                    "Mark active thoughts of suicide as yes, or this one as no.",
                    field=name,
                )
    protective = _text(
        data.protective_factors,
        "protective_factors",
        "Protective factors: write what keeps them safe (people, reasons for living, care they value).",
    )
    means = _text(
        data.access_to_means,
        "access_to_means",
        "Access to means: write what they have access to (medicines, other means) and what was agreed.",
    )
    if not data.actions:
        raise InvalidInput("Actions taken: choose at least one.", field="actions")
    unknown = [a for a in data.actions if a not in RISK_ACTIONS]
    if unknown:
        raise InvalidInput(
            "Actions taken: choose from " + "; ".join(f"{k} ({v})" for k, v in RISK_ACTIONS.items()) + ".",
            field="actions",
        )
    note = " ".join(data.note.split())
    indicated = indicated_level(
        suicidal_thoughts=data.suicidal_thoughts,
        method=data.method,
        intent=data.intent,
        plan=data.plan,
        recent_behaviour=data.recent_behaviour,
    )
    if len(note) < MIN_NOTE:
        raise InvalidInput(
            f"Note: write your formulation and what was agreed, in at least {MIN_NOTE} characters.",
            field="note",
        )
    reason = " ".join((data.judgement_reason or "").split()) or None
    if data.risk_level.rank < indicated.rank and (reason is None or len(reason) < MIN_NOTE):
        raise InvalidInput(
            f"Why your judgement is lower: it is {data.risk_level.value}, and the answers point to "
            f"{indicated.value}. Say why, in at least {MIN_NOTE} characters.",
            field="judgement_reason",
        )
    if data.alert_id is not None:
        alert = session.scalar(
            select(SafetyAlert).where(SafetyAlert.id == data.alert_id, SafetyAlert.patient_id == patient.id)
        )
        if alert is None or not alert.kind.about_self_harm:
            raise InvalidInput("That is not a self-harm alert of this patient.", field="alert_id")
    assessment = RiskAssessment(
        patient_id=patient.id,
        assessed_by_id=actor.id,
        assessed_at=now or utcnow(),
        alert_id=data.alert_id,
        thoughts_of_death=data.thoughts_of_death,
        suicidal_thoughts=data.suicidal_thoughts,
        method=data.method,
        intent=data.intent,
        plan=data.plan,
        recent_behaviour=data.recent_behaviour,
        protective_factors=protective,
        access_to_means=means,
        indicated_level=indicated,
        risk_level=data.risk_level,
        judgement_reason=reason,
        actions=list(dict.fromkeys(data.actions)),
        note=note,
    )
    session.add(assessment)
    session.flush()
    return assessment


def list_risk_assessments(session: Session, actor: User, patient_id: uuid.UUID) -> list[RiskAssessment]:
    """The patient's risk assessments, newest first, for a clinician on the care team (audited)."""
    _require_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type="risk_assessment")
    return risk_assessments_of(session, patient)


def risk_assessments_of(session: Session, patient: Patient) -> list[RiskAssessment]:
    """The same, for a patient whose access was already checked and audited."""
    return list(
        session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.patient_id == patient.id)
            .options(joinedload(RiskAssessment.assessed_by))
            .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id)
        )
    )


def latest_risk_assessment(session: Session, patient_id: uuid.UUID) -> RiskAssessment | None:
    return session.scalar(
        select(RiskAssessment)
        .where(RiskAssessment.patient_id == patient_id)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id)
        .limit(1)
    )


# --- safety plan --------------------------------------------------------------------------------------


def default_professionals(settings: Settings) -> list[str]:
    """The contacts every plan starts with: the clinic, the crisis line, the emergency number."""
    return [
        f"{settings.clinic_name}: {settings.clinic_phone}",
        f"Crisis line: {settings.crisis_line}",
        f"If you are in danger now: call {settings.emergency_number}",
    ]


def _lines(values: list[str], section: Section) -> list[str]:
    lines = [" ".join(v.split()) for v in values]
    lines = [line for line in lines if line]
    if not lines:
        raise InvalidInput(
            f"{section.title}: write at least one line, in the patient's words.", field=section.field
        )
    for line in lines:
        if len(line) > MAX_LINE:
            raise InvalidInput(
                f"{section.title}: keep each line under {MAX_LINE} characters ({line[:40]}…).",
                field=section.field,
            )
    return lines


def latest_plan(session: Session, patient_id: uuid.UUID) -> SafetyPlan | None:
    """The newest version of the patient's safety plan, withdrawn or not."""
    return session.scalar(
        select(SafetyPlan)
        .where(SafetyPlan.patient_id == patient_id)
        .options(joinedload(SafetyPlan.written_by))
        .order_by(SafetyPlan.version.desc())
        .limit(1)
    )


def is_current(plan: SafetyPlan, settings: Settings, now: datetime) -> bool:
    """Not withdrawn and saved within the review period (the caller passes the newest version)."""
    return not plan.withdrawn and plan.written_at > now - timedelta(days=settings.safety_plan_review_days)


def current_plan(
    session: Session, patient_id: uuid.UUID, *, settings: Settings | None = None, now: datetime | None = None
) -> SafetyPlan | None:
    """The safety plan in force: the newest version, not withdrawn, saved within the review period."""
    plan = latest_plan(session, patient_id)
    if plan is None or not is_current(plan, settings or get_settings(), now or utcnow()):
        return None
    return plan


def review_due(plan: SafetyPlan, settings: Settings) -> datetime:
    return plan.written_at + timedelta(days=settings.safety_plan_review_days)


def save_safety_plan(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: SafetyPlanCreate,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> SafetyPlan:
    """A self-harm reviewer saves a new version of the plan made with the patient (the history is kept)."""
    _require_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="safety_plan"
    )
    require_reviewer(actor, settings, "a safety plan")
    if not data.made_with_patient:
        raise InvalidInput(
            "A safety plan is written with the patient, in their words: tick the box once you have.",
            field="made_with_patient",
        )
    given = data.model_dump()
    if data.professionals is None:
        given["professionals"] = default_professionals(settings)
    sections = {s.field: _lines(given[s.field], s) for s in SECTIONS}
    newest = session.scalar(select(func.max(SafetyPlan.version)).where(SafetyPlan.patient_id == patient.id))
    if data.based_on_version is not None and data.based_on_version != (newest or 0):
        raise Conflict(
            f"Version {newest} of this plan was saved after the one you edited (version "
            f"{data.based_on_version}). Reload to see it, then make your changes again."
        )
    plan = SafetyPlan(
        patient_id=patient.id,
        version=(newest or 0) + 1,
        written_by_id=actor.id,
        written_at=now or utcnow(),
        **sections,
    )
    try:
        with session.begin_nested():  # the unique (patient, version) settles two saves at once
            session.add(plan)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Another clinician saved this plan a moment ago. Reload to see their version, then save again."
        ) from exc
    return plan


def withdraw_safety_plan(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    plan_id: uuid.UUID,
    *,
    reason: str,
    settings: Settings,
) -> SafetyPlan:
    """A self-harm reviewer withdraws the newest version (wrong patient, no longer true): no plan is in force."""
    _require_clinician(actor)
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="safety_plan",
        resource_id=plan_id,
    )
    require_reviewer(actor, settings, "a safety plan")
    reason = _text(reason, "reason", "Reason: say why the plan is withdrawn.")
    plan = session.scalar(
        select(SafetyPlan).where(SafetyPlan.id == plan_id, SafetyPlan.patient_id == patient.id)
    )
    if plan is None:
        raise NotFound("No such safety plan for this patient.")
    newest = latest_plan(session, patient.id)
    if newest is None or newest.id != plan.id:
        raise Conflict("Only the newest version of a safety plan can be withdrawn.")
    if plan.withdrawn:
        raise Conflict("This safety plan was already withdrawn.")
    plan.withdrawn_at = utcnow()
    plan.withdrawn_by_id = actor.id
    plan.withdrawal_reason = reason
    session.flush()
    return plan


def plan_history(session: Session, actor: User, patient_id: uuid.UUID) -> list[SafetyPlan]:
    """Every version of the plan, newest first, for a clinician on the care team (audited)."""
    _require_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type="safety_plan")
    return plans_of(session, patient)


def plans_of(session: Session, patient: Patient) -> list[SafetyPlan]:
    return list(
        session.scalars(
            select(SafetyPlan)
            .where(SafetyPlan.patient_id == patient.id)
            .options(joinedload(SafetyPlan.written_by), joinedload(SafetyPlan.withdrawn_by))
            .order_by(SafetyPlan.version.desc())
        )
    )


def read_safety_plan(session: Session, actor: User, patient_id: uuid.UUID) -> SafetyPlan:
    """The plan the patient has now (newest, not withdrawn): the patient's own, or a care-team clinician's."""
    patient = access.patient_for(session, actor, patient_id, resource_type="safety_plan")
    plan = patient_plan(session, patient)
    if plan is None:
        raise NotFound("There is no safety plan yet.")
    return plan


def patient_plan(session: Session, patient: Patient) -> SafetyPlan | None:
    """The plan shown to the patient: the newest version unless it was withdrawn (then none)."""
    plan = latest_plan(session, patient.id)
    return None if plan is None or plan.withdrawn else plan


# --- what a positive self-harm answer does --------------------------------------------------------------


@dataclass(frozen=True)
class PracticeDecision:
    """Whether a positive self-harm answer pauses practice, and the plan that lets it go on if not."""

    holds_practice: bool
    plan: SafetyPlan | None = None
    reason: str = ""


def positive_answer_decision(
    session: Session, patient_id: uuid.UUID, *, settings: Settings | None = None, now: datetime | None = None
) -> PracticeDecision:
    """A positive item 9 pauses practice unless a current plan is in place and the latest risk is not high."""
    plan = current_plan(session, patient_id, settings=settings, now=now)
    if plan is None:
        return PracticeDecision(True, reason="no current safety plan")
    latest = latest_risk_assessment(session, patient_id)
    if latest is not None and latest.risk_level is RiskLevel.HIGH:
        return PracticeDecision(True, plan, reason="the latest risk assessment judged the risk high")
    return PracticeDecision(False, plan, reason=f"safety plan version {plan.version} is current")


# --- the patient's safety page -------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientSafety:
    """What the patient's safety page shows from this module (access already checked)."""

    self_harm_alerts: list[SafetyAlert]
    practice_paused: bool
    plan: SafetyPlan | None
    sections: tuple[Section, ...] = SECTIONS


def patient_safety(session: Session, patient: Patient) -> PatientSafety:
    """The patient's open self-harm answers (whether or not they pause practice) and their safety plan."""
    open_alerts = list(
        session.scalars(
            select(SafetyAlert)
            .where(
                SafetyAlert.patient_id == patient.id,
                SafetyAlert.kind == AlertKind.SELF_HARM_RISK,
                SafetyAlert.acknowledged_at.is_(None),
            )
            .order_by(SafetyAlert.raised_at.desc())
        )
    )
    return PatientSafety(
        self_harm_alerts=open_alerts,
        practice_paused=any(a.holds_practice for a in open_alerts),
        plan=patient_plan(session, patient),
    )
