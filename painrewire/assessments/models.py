"""Intake, questionnaire responses with their stored scores, assignments, and safety alerts."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Intake(IdMixin, TimestampMixin, Base):
    """A patient's intake: pain history, duration and the red-flag screen, as answered."""

    __tablename__ = "intakes"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pain_duration_weeks: Mapped[int]
    chronic: Mapped[bool]
    onset: Mapped[str] = mapped_column(String(32))
    pain_location: Mapped[str] = mapped_column(String(64))
    leg_pain: Mapped[bool] = mapped_column(default=False)
    average_pain_last_week: Mapped[int]
    history: Mapped[str] = mapped_column(Text, default="")
    previous_treatments: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    #: The screen as answered, in the shape of its ``red_flag_version``: from rf-2026.2 each question id maps to
    #: "no", "new" or "longstanding", beside the age the screen used ("age_years", "age_source"); rf-2026.1
    #: mapped each question id to true or false.
    red_flag_answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    red_flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    red_flag_version: Mapped[str] = mapped_column(String(32))

    submitted_by: Mapped[User | None] = relationship(lazy="raise")


class AssignmentStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class QuestionnaireAssignment(IdMixin, TimestampMixin, Base):
    """A clinician asks a patient to fill an instrument, optionally by a date."""

    __tablename__ = "questionnaire_assignments"
    __table_args__ = (
        # At most one open request per patient and instrument, even when two clinicians assign at once.
        Index(
            "uq_questionnaire_assignments_open",
            "patient_id",
            "instrument_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(32))
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[AssignmentStatus] = mapped_column(_enum(AssignmentStatus, "assignment_status"))
    response_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("questionnaire_responses.id", ondelete="SET NULL"), default=None
    )


class QuestionnaireResponse(IdMixin, Base):
    """One completed instrument: the answers as given and the score as computed then.

    A stored score never changes: the scoring rule's version is kept beside it, so a later rule change
    cannot silently rewrite what a clinician saw.
    """

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        Index("ix_questionnaire_responses_patient_instrument", "patient_id", "instrument_id", "completed_at"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    scoring_version: Mapped[str] = mapped_column(String(32))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answers: Mapped[list[int | None]] = mapped_column(JSON)
    declined_items: Mapped[list[int]] = mapped_column(JSON, default=list)
    total: Mapped[float | None] = mapped_column(Float, default=None)
    band: Mapped[str | None] = mapped_column(String(64), default=None)
    subscales: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid: Mapped[bool]
    messages: Mapped[list[str]] = mapped_column(JSON, default=list)


class AlertKind(enum.StrEnum):
    RED_FLAG = "red_flag"
    SELF_HARM_RISK = "self_harm_risk"
    #: A paper PHQ-9 entered with its self-harm item left blank: a clinician must ask the question.
    SELF_HARM_UNASKED = "self_harm_unasked"
    #: A secure message that reads like a crisis (ticked urgent, or matched the clinic's crisis words).
    MESSAGE_CRISIS = "message_crisis"

    @property
    def about_self_harm(self) -> bool:
        """Kinds a self-harm reviewer (not only a medically qualified clinician) owns."""
        return self is not AlertKind.RED_FLAG


class SafetyAlert(IdMixin, Base):
    """A red flag or a positive self-harm item: open until a clinician acknowledges it with a note.

    Written in the same transaction as the answers that raised it, so it can never be lost on its own.
    """

    __tablename__ = "safety_alerts"
    __table_args__ = (Index("ix_safety_alerts_patient_open", "patient_id", "acknowledged_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind"))
    urgency: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="SET NULL"), default=None
    )
    response_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("questionnaire_responses.id", ondelete="SET NULL"), default=None
    )
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text, default=None)
    #: What the clinician did, one of ``alerts.ACTIONS`` for the alert's kind (the note says more).
    action_taken: Mapped[str | None] = mapped_column(String(48), default=None)
    #: Whether the patient's practice waits for this alert (a repeat self-harm answer under a current safety
    #: plan does not, unless the clinician chooses to pause).
    holds_practice: Mapped[bool] = mapped_column(default=True)
    #: When the alert went unacknowledged past its time and was sent to the whole care team and the front desk.
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Who the escalation went to: ``{"users": [...ids], "emails": n}`` (no health content).
    escalation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    acknowledged_by: Mapped[User | None] = relationship(lazy="raise")

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
