"""Pain reprocessing therapy: lesson progress, the neuroplastic-pain checklist and the reappraisal journal.

Somatic-tracking practice is a `PracticeLog` row (with pain and fear before and after).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


class LessonProgress(IdMixin, Base):
    """How far a patient is with one pain-education lesson and its check-yourself quiz."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("patient_id", "lesson_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    quiz_attempts: Mapped[int] = mapped_column(default=0)
    best_score: Mapped[int | None] = mapped_column(default=None)
    quiz_total: Mapped[int | None] = mapped_column(default=None)
    passed_at: Mapped[datetime | None] = mapped_column(default=None)


class ChecklistResponse(IdMixin, TimestampMixin, Base):
    """One filling of the "evidence for neuroplastic pain" checklist and its summary at the time."""

    __tablename__ = "neuroplastic_checklists"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, bool]] = mapped_column(JSON)
    endorsed: Mapped[list[str]] = mapped_column(JSON)
    score: Mapped[float]
    level: Mapped[str] = mapped_column(String(16))
    #: Filled in before a clinician cleared the patient: the patient was shown no verdict, and the signs that
    #: also point to specific causes (``held``) were not counted in ``score`` and ``level``.
    before_clearance: Mapped[bool] = mapped_column(default=False)
    held: Mapped[list[str]] = mapped_column(JSON, default=list)


class ReappraisalEntry(IdMixin, TimestampMixin, Base):
    """A reappraisal journal entry: the pain moment, the danger message, and the safety message."""

    __tablename__ = "reappraisal_entries"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    pain_moment: Mapped[str] = mapped_column(Text)
    danger_message: Mapped[str] = mapped_column(Text)
    safety_message: Mapped[str] = mapped_column(Text)
    pain_before: Mapped[int | None] = mapped_column(default=None)
    pain_after: Mapped[int | None] = mapped_column(default=None)
