"""API shapes for neurofeedback sessions: set-up, live commands, notes, the record and the review data."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painrewire.neurofeedback.models import SessionStatus
from painrewire.neurofeedback.protocols import PROTOCOLS


class SourceKind(enum.StrEnum):
    """Where the EEG comes from."""

    BRAINFLOW = "brainflow"  # a headset through BrainFlow (-1: its synthetic headset)
    LSL = "lsl"  # a lab amplifier's Lab Streaming Layer stream
    PLAYBACK = "playback"  # an earlier session's recording, played at real speed


TEXT = Field(default="", max_length=120)


class SessionCreate(BaseModel):
    """What the practitioner chooses before a session."""

    protocol: str = Field(default="alpha", description="alpha, smr_theta, theta_beta or asymmetry")
    channels: list[str] | None = Field(
        default=None, max_length=2, description="Train at other 10-20 positions than the protocol's own"
    )
    source: SourceKind = SourceKind.BRAINFLOW
    board_id: int = Field(
        default=-1, ge=-100, le=1000, description="BrainFlow board id; -1 is the synthetic headset"
    )
    serial_port: str = TEXT
    mac_address: str = TEXT
    ip_address: str = TEXT
    ip_port: int = Field(default=0, ge=0, le=65535)
    serial_number: str = TEXT
    other_info: str = TEXT
    lsl_name: str = TEXT
    lsl_type: str = Field(default="EEG", max_length=60)
    lsl_source_id: str = TEXT
    playback_session_id: uuid.UUID | None = Field(
        default=None, description="For playback: the earlier session whose recording is played"
    )
    duration_seconds: float = Field(
        default=20 * 60, ge=2, le=90 * 60, description="Baseline plus feedback, in seconds"
    )
    baseline_seconds: float = Field(
        default=60, ge=0, le=600, description="Eyes-open baseline before feedback"
    )
    check_seconds: float = Field(default=5, ge=2, le=60, description="Signal check before the baseline")
    target_reward_rate: float = Field(default=0.7, ge=0.05, le=0.95, description="Share of windows rewarded")
    line_freq: Literal[50, 60] = Field(default=50, description="Mains frequency of the room, Hz")
    sham: bool = Field(default=False, description="Replay an earlier session's rewards instead of live EEG")
    sham_source_id: uuid.UUID | None = Field(
        default=None, description="The earlier session to replay (default: the patient's latest live one)"
    )

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        if value not in PROTOCOLS:
            raise ValueError(f"choose one of {', '.join(PROTOCOLS)}; got {value!r}")
        return value

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        names = [v.strip() for v in value if v.strip()]
        if any(len(n) > 16 or not n.replace("-", "").isalnum() for n in names):
            raise ValueError("channel names are 10-20 positions such as C3 or F4")
        return names or None

    @model_validator(mode="after")
    def _baseline_inside(self) -> SessionCreate:
        if self.baseline_seconds >= self.duration_seconds:
            raise ValueError(
                f"the baseline ({self.baseline_seconds:g} s) must be shorter than the session "
                f"({self.duration_seconds:g} s)"
            )
        if self.source is SourceKind.PLAYBACK and self.playback_session_id is None:
            raise ValueError("playback needs the session whose recording to play (playback_session_id)")
        return self


class BeginTraining(BaseModel):
    override_note: str = Field(
        default="", max_length=500, description="Why training starts although the signal check failed"
    )


class TargetUpdate(BaseModel):
    target_reward_rate: float = Field(ge=0.05, le=0.95)


class NoteCreate(BaseModel):
    text: str = Field(min_length=1, max_length=500)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a note needs some text")
        return value.strip()


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    session_id: uuid.UUID
    at: datetime
    offset_seconds: float
    text: str


class SessionRead(BaseModel):
    """A session as the care team sees it (patients never get this shape: it says whether it was sham)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    practitioner_id: uuid.UUID | None
    protocol: str
    channels: list[str] | None
    source: str
    board_id: int | None
    source_params: dict[str, Any]
    planned_seconds: int
    baseline_seconds: int
    check_seconds: float
    target_reward_rate: float
    line_freq: float
    sham: bool
    sham_source_id: uuid.UUID | None
    status: SessionStatus
    signal_check: dict[str, Any] | None
    check_overridden: bool
    override_note: str
    created_at: datetime
    started_at: datetime | None
    training_started_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    summary: dict[str, Any] | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    clock_offset_s: float | None
    recording_seconds: float | None


class Command(BaseModel):
    """What a live command answered."""

    ok: bool
    detail: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class ReviewAnnotation(BaseModel):
    onset: float
    duration: float
    text: str


class ReviewWindow(BaseModel):
    """A stretch of a recording for the review page: traces as min/max per bucket (peaks survive)."""

    sfreq: float
    duration_s: float
    start_s: float
    seconds: float
    channels: list[str]
    buckets: int
    minimum: list[list[float]]
    maximum: list[list[float]]


class ReviewOverview(BaseModel):
    """The whole recording at a glance: band power of the protocol channels over time, and the events."""

    sfreq: float
    duration_s: float
    channels: list[str]
    protocol_channels: list[str]
    step_s: float
    times: list[float]
    band_power_uv2: dict[str, list[float | None]]
    annotations: list[ReviewAnnotation]
