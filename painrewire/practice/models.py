"""Practice done by a patient in any program: the one log that diary, dashboard and streaks read."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, utcnow
from painrewire.practice.modules import Module

__all__ = ["Module", "PracticeLog"]


class PracticeLog(IdMixin, Base):
    """One completed practice: which module and activity, how long, and ratings before and after where they fit."""

    __tablename__ = "practice_logs"
    __table_args__ = (Index("ix_practice_logs_patient_day", "patient_id", "day"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    day: Mapped[date]
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    module: Mapped[Module] = mapped_column(
        Enum(
            Module,
            name="practice_module",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    activity: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[float]
    pain_before: Mapped[int | None] = mapped_column(default=None)
    pain_after: Mapped[int | None] = mapped_column(default=None)
    fear_before: Mapped[int | None] = mapped_column(default=None)
    fear_after: Mapped[int | None] = mapped_column(default=None)
    source_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
