"""Graded motor imagery: laterality blocks with every trial, imagery and movement logs, stage changes, and the
people who take norm blocks so the clinic has its own norms for its drawn pictures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, utcnow


class NormParticipant(IdMixin, Base):
    """A pain-free person who takes norm blocks: a clinician with an account, or a volunteer without one whom
    a clinician records anonymously (age band only)."""

    __tablename__ = "gmi_norm_participants"

    kind: Mapped[str] = mapped_column(String(16))  # "clinician" or "volunteer"
    #: The clinician's own account when they take norm blocks themselves; none for a volunteer.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, default=None
    )
    age_band: Mapped[str] = mapped_column(String(8))
    #: Confirmed when recorded: no back pain now and none in the past three months.
    pain_free: Mapped[bool]
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LateralityBlock(IdMixin, Base):
    """One block of left/right judgements; scores are computed when its trials arrive and then kept.

    A block is a patient's practice, or a **norm block** taken by a `NormParticipant` (never both): norm
    blocks build the clinic's own norms and are no one's practice.
    """

    __tablename__ = "gmi_blocks"
    __table_args__ = (
        Index("ix_gmi_blocks_patient_started", "patient_id", "started_at"),
        CheckConstraint("(patient_id IS NULL) <> (norm_participant_id IS NULL)", name="patient_or_norm"),
    )

    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    norm_participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("gmi_norm_participants.id", ondelete="CASCADE"), index=True, default=None
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    level: Mapped[int]
    seed: Mapped[int]
    timeout_ms: Mapped[int]
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    accuracy: Mapped[float | None] = mapped_column(default=None)
    median_rt_ms: Mapped[float | None] = mapped_column(default=None)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    #: How the browser timed the block: method, measured frame interval (ms), clock (see static/trainer.js).
    client_timing: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    @property
    def is_norm(self) -> bool:
        """A norm block (for the clinic's norms), not a patient's practice."""
        return self.norm_participant_id is not None


class LateralityTrial(IdMixin, Base):
    """One image and the answer to it, timed in the browser from the frame it was painted."""

    __tablename__ = "gmi_trials"
    __table_args__ = (UniqueConstraint("block_id", "index"),)

    block_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gmi_blocks.id", ondelete="CASCADE"))
    index: Mapped[int]
    stimulus_id: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    movement: Mapped[str] = mapped_column(String(16))
    view: Mapped[str] = mapped_column(String(16))
    is_practice: Mapped[bool]
    answer: Mapped[str | None] = mapped_column(String(8), default=None)
    rt_ms: Mapped[float | None] = mapped_column(default=None)
    timed_out: Mapped[bool]
    correct: Mapped[bool]


class StageChange(IdMixin, Base):
    """A move between GMI stages: automatic by the progression rule, or by a clinician with a note."""

    __tablename__ = "gmi_stage_changes"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    stage: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class ImageryLog(IdMixin, Base):
    """Stage 2: one guided imagined movement, with the patient's effort and pain ratings."""

    __tablename__ = "gmi_imagery_logs"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    exercise_id: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
    seconds: Mapped[int]
    effort: Mapped[int]
    pain: Mapped[int]


class MovementLog(IdMixin, Base):
    """Stage 3: one real movement from the ladder, with pain and fear before and after."""

    __tablename__ = "gmi_movement_logs"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    movement_id: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
    pain_before: Mapped[int]
    pain_after: Mapped[int]
    fear_before: Mapped[int]
    fear_after: Mapped[int]
