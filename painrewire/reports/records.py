"""The parts of a patient's record that reports and exports read: the signed plan, scores, care team.

Each function takes a patient whose access the caller has already checked and audited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import Discipline, User
from painrewire.assessments.models import AlertKind, QuestionnaireResponse, SafetyAlert
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.plans.models import PlanVersion
from painrewire.plans.rules import PlanProposal
from painrewire.practice.models import Module


def responses(session: Session, patient: Patient) -> list[QuestionnaireResponse]:
    """Every completed questionnaire, oldest first."""
    return list(
        session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
        )
    )


#: Each kind of safety alert as reports and exports name it.
ALERT_KINDS: dict[AlertKind, str] = {
    AlertKind.RED_FLAG: "Red flag",
    AlertKind.SELF_HARM_RISK: "Self-harm answer",
    AlertKind.SELF_HARM_UNASKED: "Self-harm question left blank",
    AlertKind.MESSAGE_CRISIS: "Message that reads like a crisis",
}
#: Closed safety alerts stay on the report's first page for this long after they were raised or closed.
RECENT_ALERT_DAYS = 90


def safety_alerts(session: Session, patient: Patient, *, now: datetime) -> list[SafetyAlert]:
    """Open alerts, and those raised or closed in the last `RECENT_ALERT_DAYS`: open first, newest first."""
    since = now - timedelta(days=RECENT_ALERT_DAYS)
    return list(
        session.scalars(
            select(SafetyAlert)
            .where(
                SafetyAlert.patient_id == patient.id,
                or_(
                    SafetyAlert.acknowledged_at.is_(None),
                    SafetyAlert.acknowledged_at >= since,
                    SafetyAlert.raised_at >= since,
                ),
            )
            .options(joinedload(SafetyAlert.acknowledged_by))
            .order_by(SafetyAlert.acknowledged_at.is_not(None), SafetyAlert.raised_at.desc())
        )
    )


def care_team(session: Session, patient: Patient) -> list[User]:
    return [
        m.clinician
        for m in session.scalars(
            select(CareTeamMember)
            .where(CareTeamMember.patient_id == patient.id)
            .options(joinedload(CareTeamMember.clinician))
            .order_by(CareTeamMember.created_at)
        )
    ]


@dataclass(frozen=True)
class PlannedModuleLine:
    id: str
    label: str
    sessions_per_week: int
    weeks: int
    focus: tuple[str, ...]


@dataclass(frozen=True)
class PlanSummary:
    """A signed plan in words: modules with their dose, disciplines, when questionnaires repeat, and why."""

    version_id: str
    number: int
    starts_on: date
    signed_at: datetime | None
    signed_by: str | None
    intensity: str
    end_week: int
    modules: tuple[PlannedModuleLine, ...]
    disciplines: tuple[str, ...]
    questionnaires: tuple[tuple[str, tuple[int, ...]], ...]
    reasons: tuple[str, ...]
    proposal: PlanProposal


def module_label(module_id: str) -> str:
    try:
        return Module(module_id).label
    except ValueError:
        return module_id.replace("_", " ").capitalize()


def discipline_label(value: str) -> str:
    try:
        return Discipline(value).label
    except ValueError:
        return value.replace("_", " ").capitalize()


def plan_summary(version: PlanVersion, *, for_patient: bool, withheld: Collection[str] = ()) -> PlanSummary:
    """Summarise a stored plan; reasons are in the patient's words for the patient, the clinician's otherwise.

    ``withheld``: fired rules whose patient reason quotes study results that no longer fit the patient
    (`painrewire.plans.service.withheld_reasons`); left out of the patient's reasons.
    """
    proposal = PlanProposal.from_dict(version.content)
    return PlanSummary(
        version_id=str(version.id),
        number=version.number,
        starts_on=version.starts_on,
        signed_at=version.signed_at,
        signed_by=version.signed_by.full_name if version.signed_by else None,
        intensity=proposal.intensity,
        end_week=proposal.end_week,
        modules=tuple(
            PlannedModuleLine(m.id, module_label(m.id), m.sessions_per_week, m.weeks, m.focus)
            for m in proposal.modules
        ),
        disciplines=tuple(discipline_label(d) for d in proposal.disciplines),
        questionnaires=tuple((q.instrument, q.weeks) for q in proposal.questionnaires),
        reasons=tuple(
            f.reason_patient if for_patient else f.reason_clinician
            for f in proposal.fired
            if not (for_patient and f.id in withheld)
        ),
        proposal=proposal,
    )
