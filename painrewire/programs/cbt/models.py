"""CBT for pain: thought records, activity pacing and graded exposure."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


class ThoughtRecord(IdMixin, TimestampMixin, Base):
    """Situation, automatic thought, feelings with intensity, thinking traps, evidence, balanced thought."""

    __tablename__ = "thought_records"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    situation: Mapped[str] = mapped_column(Text)
    automatic_thought: Mapped[str] = mapped_column(Text)
    feelings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    distortions: Mapped[list[str]] = mapped_column(JSON)
    evidence_for: Mapped[str] = mapped_column(Text, default="")
    evidence_against: Mapped[str] = mapped_column(Text, default="")
    balanced_thought: Mapped[str] = mapped_column(Text, default="")
    rerated_feelings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PacingActivity(IdMixin, TimestampMixin, Base):
    """An activity paced from a measured baseline with planned weekly increments.

    ``baseline`` is the mean of ``measurements`` (what the patient managed on each measured day); week 1 starts
    at ``start_percent`` of it and each later week adds ``increment_percent`` of the baseline
    (`painrewire.programs.cbt.pacing`).
    """

    __tablename__ = "pacing_activities"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(32))
    baseline: Mapped[float]
    increment_percent: Mapped[float]
    weeks: Mapped[int]
    starts_on: Mapped[date]
    measurements: Mapped[list[float]] = mapped_column(JSON, default=list)
    start_percent: Mapped[float] = mapped_column(default=80.0)
    goal: Mapped[float | None] = mapped_column(default=None)


class PacingLog(IdMixin, Base):
    """What was actually done of a paced activity in one plan week."""

    __tablename__ = "pacing_logs"
    __table_args__ = (UniqueConstraint("activity_id", "week"),)

    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pacing_activities.id", ondelete="CASCADE"))
    week: Mapped[int]
    actual: Mapped[float]
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExposureItem(IdMixin, TimestampMixin, Base):
    """One feared movement on the patient's graded-exposure hierarchy, rated 0-100."""

    __tablename__ = "exposure_items"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    movement: Mapped[str] = mapped_column(String(200))
    fear_rating: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")


class ExposureAttempt(IdMixin, Base):
    """Doing a feared movement: fear predicted before and felt after."""

    __tablename__ = "exposure_attempts"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exposure_items.id", ondelete="CASCADE"), index=True
    )
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
    predicted_fear: Mapped[int]
    actual_fear: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def gap(self) -> int:
        """Predicted minus felt fear: positive when the movement was less frightening than expected."""
        return self.predicted_fear - self.actual_fear
