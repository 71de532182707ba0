"""Neurofeedback sessions: set-up, signal check and override, the EDF+ recording, summary and notes; the pain
ratings and side effects around each session; n-of-1 series of real and sham sessions.

A session's live loop runs in one server process (``live.runner.LiveRunner``); it keeps ``heartbeat_at`` fresh so
that any process can tell a session whose server stopped from one still running.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from painrewire.db import BLINDED, BLINDED_KEYS, Base, IdMixin, TimestampMixin, utcnow
from painrewire.neurofeedback.signal.protocols import Eyes


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    CHECKING = "checking"
    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"


class SeriesStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    STOPPED = "stopped"


class SideEffect(enum.StrEnum):
    """The side effects asked after every session (Hammond and Kirk 2008, see ``ratings``)."""

    HEADACHE = "headache"
    TIREDNESS = "tiredness"
    WIRED = "wired"
    SLEEP = "sleep"


class Severity(enum.StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


def _enum(cls: type[enum.Enum], name: str, length: int = 32) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


_ACTIVE_SQL = "status IN ('planned', 'checking', 'running')"


class NeurofeedbackSession(IdMixin, TimestampMixin, Base):
    """One session of a patient with a practitioner: live or sham, and everything it recorded."""

    __tablename__ = "nfb_sessions"
    __table_args__ = (
        Index("ix_nfb_sessions_practitioner_created", "practitioner_id", "created_at"),
        # One session at a time per patient, however many practitioners press start at once.
        Index(
            "uq_nfb_sessions_patient_active",
            "patient_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    protocol: Mapped[str] = mapped_column(String(32))
    #: Positions trained when not the protocol's own (e.g. C3 instead of C4).
    channels: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    source: Mapped[str] = mapped_column(String(16))
    board_id: Mapped[int | None] = mapped_column(default=None)
    source_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    planned_seconds: Mapped[int]
    baseline_seconds: Mapped[int]
    target_reward_rate: Mapped[float]
    #: Mains frequency of the room (50 or 60 Hz): the notch, the line-noise check and the BIDS sidecar.
    line_freq: Mapped[float] = mapped_column(default=50.0, server_default="50")
    check_seconds: Mapped[float] = mapped_column(default=5.0, server_default="5")
    #: Eyes open or closed, for the baseline and the training alike (sessions before this was asked: open).
    eyes: Mapped[Eyes] = mapped_column(_enum(Eyes, "nfb_eyes", 8), default=Eyes.OPEN, server_default="open")
    # Whether a session was sham is the blind of an n-of-1 comparison: the patient's screen looks the same, and
    # the patient's own copy of their data leaves it out (``info``: ``interop.personal_data``), as it leaves
    # out the reward sequences, which would match a sham session to the session it replayed.
    sham: Mapped[bool] = mapped_column(default=False, info={BLINDED: True})
    sham_source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nfb_sessions.id", ondelete="SET NULL"), info={BLINDED: True}
    )
    #: A session of an n-of-1 series, and its place in the series' sequence.
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nfb_series.id", ondelete="SET NULL"), default=None, index=True
    )
    series_slot: Mapped[int | None] = mapped_column(default=None)
    #: The care team, too, may not know whether this session is sham: its series is not unblinded yet.
    blinded: Mapped[bool] = mapped_column(default=False, server_default=false())
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
    #: When the recording began (the headset opened), and when baseline and feedback began.
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    training_started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Why the session ended: completed as planned, stopped by the practitioner, the headset failed, ...
    end_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None, info={BLINDED_KEYS: ("sham",)})
    #: Newest sample to feedback message sent, over the session; and the source clock's offset.
    latency_p50_ms: Mapped[float | None] = mapped_column(default=None)
    latency_p99_ms: Mapped[float | None] = mapped_column(default=None)
    clock_offset_s: Mapped[float | None] = mapped_column(default=None)
    #: Reward and 0..1 feedback of every feedback hop: what a later sham session replays.
    hop_rewards: Mapped[list[bool] | None] = mapped_column(JSON, default=None, info={BLINDED: True})
    hop_feedback: Mapped[list[float] | None] = mapped_column(JSON, default=None, info={BLINDED: True})
    recording_seconds: Mapped[float | None] = mapped_column(default=None)
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


class NeurofeedbackRating(IdMixin, TimestampMixin, Base):
    """What the patient said around one session: pain now before it and after it, and side effects after it."""

    __tablename__ = "nfb_ratings"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nfb_sessions.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    #: Pain now, 0-10, before the session started.
    pain_before: Mapped[int | None] = mapped_column(default=None)
    before_at: Mapped[datetime | None] = mapped_column(default=None)
    before_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    #: Pain now, 0-10, after the session ended; and the side-effect checklist answered with it.
    pain_after: Mapped[int | None] = mapped_column(default=None)
    after_at: Mapped[datetime | None] = mapped_column(default=None)
    after_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    #: ``SideEffect`` value -> ``Severity`` value, only those the patient had ({} when none).
    side_effects: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    other_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    other_severity: Mapped[Severity | None] = mapped_column(_enum(Severity, "nfb_severity", 16), default=None)


class NeurofeedbackSeries(IdMixin, TimestampMixin, Base):
    """An n-of-1 comparison: blocks of one real and one sham session in random order, blind until unblinded."""

    __tablename__ = "nfb_series"
    __table_args__ = (
        # One running series per patient.
        Index(
            "uq_nfb_series_patient_running",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What every session of the series runs.
    protocol: Mapped[str] = mapped_column(String(32))
    channels: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    eyes: Mapped[Eyes] = mapped_column(_enum(Eyes, "nfb_series_eyes", 8))
    planned_seconds: Mapped[int]
    baseline_seconds: Mapped[int]
    target_reward_rate: Mapped[float]
    blocks: Mapped[int]
    #: The randomisation: its seed and the sequence it gave (``real`` / ``sham`` per session), kept from
    #: everyone's screens until the series is unblinded, and from the patient's copy of their data.
    seed: Mapped[int] = mapped_column(BigInteger, info={BLINDED: True})
    arms: Mapped[list[str]] = mapped_column(JSON, info={BLINDED: True})
    status: Mapped[SeriesStatus] = mapped_column(_enum(SeriesStatus, "nfb_series_status", 16))
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    stop_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    unblinded_at: Mapped[datetime | None] = mapped_column(default=None)
    unblinded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
