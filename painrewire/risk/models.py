"""The clinician's structured suicide and self-harm risk assessment, and the patient's safety plan.

A risk assessment is a clinical record: written once, never edited (a new assessment follows a change). A
safety plan is versioned per patient (1, 2, ...): each save, including a review that changes nothing, is a new
version and every earlier one is kept. The newest version is the plan; once withdrawn, no older one comes back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, utcnow


class RiskLevel(enum.StrEnum):
    """The clinician's overall judgement, in the three levels of common triage practice."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {RiskLevel.LOW: 0, RiskLevel.MODERATE: 1, RiskLevel.HIGH: 2}[self]


def _level(name: str) -> Enum:
    return Enum(
        RiskLevel, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class RiskAssessment(IdMixin, Base):
    """One clinician-completed suicide and self-harm risk assessment (see `painrewire.risk.service`)."""

    __tablename__ = "risk_assessments"
    __table_args__ = (Index("ix_risk_assessments_patient_assessed", "patient_id", "assessed_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    assessed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The self-harm alert that called for this assessment, when there was one.
    alert_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("safety_alerts.id", ondelete="SET NULL"), default=None
    )
    thoughts_of_death: Mapped[bool]
    suicidal_thoughts: Mapped[bool]
    method: Mapped[bool]
    intent: Mapped[bool]
    plan: Mapped[bool]
    recent_behaviour: Mapped[bool]
    protective_factors: Mapped[str] = mapped_column(Text)
    access_to_means: Mapped[str] = mapped_column(Text)
    #: What the answers above point to by the service's triage rule, kept beside the clinician's own judgement.
    indicated_level: Mapped[RiskLevel] = mapped_column(_level("risk_level_indicated"))
    risk_level: Mapped[RiskLevel] = mapped_column(_level("risk_level"))
    #: Why the judgement is lower than the answers point to (required then, otherwise empty).
    judgement_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: Codes from ``risk.service.RISK_ACTIONS``.
    actions: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)

    assessed_by: Mapped[User | None] = relationship(lazy="raise")


class SafetyPlan(IdMixin, Base):
    """One version of a patient's safety plan, in Stanley and Brown's six sections, each a list of lines."""

    __tablename__ = "safety_plans"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    written_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    warning_signs: Mapped[list[str]] = mapped_column(JSON)
    coping_strategies: Mapped[list[str]] = mapped_column(JSON)
    distractions: Mapped[list[str]] = mapped_column(JSON)
    people_to_ask: Mapped[list[str]] = mapped_column(JSON)
    professionals: Mapped[list[str]] = mapped_column(JSON)
    safe_environment: Mapped[list[str]] = mapped_column(JSON)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, default=None)

    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id], lazy="raise")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="raise")

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
