"""Neurofeedback sessions: set-up, signal check and override, the EDF+ recording, summary and notes."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    CHECKING = "checking"
    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"


class NeurofeedbackSession(IdMixin, TimestampMixin, Base):
    """One session of a patient with a practitioner: live or sham, and everything it recorded."""

    __tablename__ = "nfb_sessions"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    protocol: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    board_id: Mapped[int | None] = mapped_column(default=None)
    source_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    planned_seconds: Mapped[int]
    baseline_seconds: Mapped[int]
    target_reward_rate: Mapped[float]
    sham: Mapped[bool] = mapped_column(default=False)
    sham_source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nfb_sessions.id", ondelete="SET NULL")
    )
    status: Mapped[SessionStatus] = mapped_column(
        Enum(
            SessionStatus,
            name="nfb_status",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    signal_check: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    check_overridden: Mapped[bool] = mapped_column(default=False)
    override_note: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    hop_rewards: Mapped[list[bool] | None] = mapped_column(JSON, default=None)
    recording_edf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))


class NeurofeedbackNote(IdMixin, Base):
    """A practitioner's note during a session; it is also an annotation in the recording."""

    __tablename__ = "nfb_notes"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nfb_sessions.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    offset_seconds: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
