"""The pain diary: one entry per patient per day; every later change keeps the version it replaced."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


class DiaryEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "diary_entries"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        Index("ix_diary_entries_day", "day"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    day: Mapped[date]
    pain_now: Mapped[int]
    average_pain: Mapped[int]
    interference: Mapped[int]
    mood: Mapped[int]
    sleep_quality: Mapped[int]
    activity_minutes: Mapped[int] = mapped_column(default=0)
    triggers: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)


class DiaryEntryRevision(IdMixin, Base):
    """The values an entry held before a change, with who changed it and when."""

    __tablename__ = "diary_entry_revisions"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("diary_entries.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    same_day: Mapped[bool]


class PainBaseline(Base):
    """A patient's diary baseline, kept up to date as the first diary days are written.

    The baseline depends only on the first 7 diary days, so it is computed when a day is saved instead of on
    every dashboard view: the clinician dashboard reads one row per patient.
    """

    __tablename__ = "pain_baselines"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    first_day: Mapped[date]
    diary_baseline: Mapped[float | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DiarySummary(Base):
    """A patient's recent diary (`painrewire.diary.trends.RecentDiary`), written with every diary change.

    The clinician home reads one row per patient instead of the diary: the last entry's day, the average pain
    of the two weeks up to it, and the 7-day mean as of that day and each of the 3 days after it
    (``mean_day_0`` .. ``mean_day_3``; later windows cannot hold the 4 entries a mean needs), so the patients
    getting worse on any day are found by the database. No row: no diary entry.
    """

    __tablename__ = "diary_summaries"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    last_day: Mapped[date]
    recent_pain: Mapped[list[int | None]] = mapped_column(JSON)
    mean_day_0: Mapped[float | None] = mapped_column(default=None)
    mean_day_1: Mapped[float | None] = mapped_column(default=None)
    mean_day_2: Mapped[float | None] = mapped_column(default=None)
    mean_day_3: Mapped[float | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
