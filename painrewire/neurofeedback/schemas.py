"""API shapes for neurofeedback sessions: set-up, live commands, notes, the record and the review data; the
pain ratings and side effects around a session; n-of-1 series and their report."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from painrewire.neurofeedback.models import (
    NeurofeedbackSeries,
    NeurofeedbackSession,
    SeriesStatus,
    SessionStatus,
    Severity,
    SideEffect,
)
from painrewire.neurofeedback.signal.protocols import PROTOCOLS, Eyes


class SourceKind(enum.StrEnum):
    """Where the EEG comes from."""

    BRAINFLOW = "brainflow"  # a headset through BrainFlow (-1: its synthetic headset)
    LSL = "lsl"  # a lab amplifier's Lab Streaming Layer stream
    PLAYBACK = "playback"  # an earlier session's recording, played at real speed


TEXT = Field(default="", max_length=120)


def _check_protocol(value: str) -> str:
    if value not in PROTOCOLS:
        raise ValueError(f"choose one of {', '.join(PROTOCOLS)}; got {value!r}")
    return value


def _check_channels(value: list[str] | None) -> list[str] | None:
    if not value:
        return None
    names = [v.strip() for v in value if v.strip()]
    if any(len(n) > 16 or not n.replace("-", "").isalnum() for n in names):
        raise ValueError("channel names are 10-20 positions such as C3 or F4")
    return names or None


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
        default=60,
        ge=0,
        le=600,
        description="Baseline before feedback, in the same eyes condition as the training",
    )
    eyes: Eyes | None = Field(
        default=None,
        description="Eyes open or closed for the baseline and the training alike (default: the protocol's own)",
    )
    check_seconds: float = Field(default=5, ge=2, le=60, description="Signal check before the baseline")
    target_reward_rate: float = Field(default=0.7, ge=0.05, le=0.95, description="Share of windows rewarded")
    line_freq: Literal[50, 60] = Field(default=50, description="Mains frequency of the room, Hz")
    sham: bool = Field(default=False, description="Replay an earlier session's rewards instead of live EEG")
    sham_source_id: uuid.UUID | None = Field(
        default=None, description="The earlier session to replay (default: the patient's latest live one)"
    )
    series_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "Run the next session of this n-of-1 series: protocol, timing, eyes and whether it is sham come from "
            "the series (the answer does not say which)"
        ),
    )

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        return _check_protocol(value)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: list[str] | None) -> list[str] | None:
        return _check_channels(value)

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
    """A session as the care team sees it (patients never get this shape: it says whether it was sham).

    While the session's n-of-1 series is not unblinded (``blinded``), ``sham`` and ``sham_source_id`` are null
    and the summary has no ``sham`` key: the care team is blind too.
    """

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
    eyes: Eyes
    sham: bool | None
    sham_source_id: uuid.UUID | None
    series_id: uuid.UUID | None
    series_slot: int | None
    blinded: bool
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

    @classmethod
    def of(cls, row: NeurofeedbackSession) -> SessionRead:
        """The session as the care team may see it now (blind while its series is)."""
        read = cls.model_validate(row)
        if row.blinded:
            summary = blind_summary(row.summary)
            read = read.model_copy(update={"sham": None, "sham_source_id": None, "summary": summary})
        return read


#: Summary keys a blinded session's care team does not see: ``sham`` says it; a replayed reward rate beside
#: the share of windows an inhibit withheld can tell it.
BLINDED_SUMMARY_KEYS = frozenset({"sham", "inhibited_share"})


def blind_summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """A session summary without what would tell a blinded care team whether the session was sham."""
    if summary is None:
        return None
    return {k: v for k, v in summary.items() if k not in BLINDED_SUMMARY_KEYS}


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


# -- pain ratings and side effects ----------------------------------------------------------------------------

PAIN = Field(ge=0, le=10, description="Pain right now, 0 (none) to 10 (as bad as it could be)")


class RatingBefore(BaseModel):
    """Pain now, asked before the session starts."""

    model_config = ConfigDict(extra="forbid")

    pain_before: int = PAIN


class RatingAfter(BaseModel):
    """Pain now after the session, and the side-effect checklist (only the ones the patient had)."""

    model_config = ConfigDict(extra="forbid")

    pain_after: int = PAIN
    side_effects: dict[SideEffect, Severity] = Field(
        default_factory=dict,
        description=(
            "headache, tiredness, wired (feeling wired or anxious), sleep (trouble sleeping since the last "
            "session): each one the patient had, with mild, moderate or severe"
        ),
    )
    other_text: str = Field(default="", max_length=500, description="Anything else they noticed")
    other_severity: Severity | None = Field(default=None, validate_default=True)

    @field_validator("other_text")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("other_severity")
    @classmethod
    def _other_has_a_severity(cls, value: Severity | None, info: ValidationInfo) -> Severity | None:
        text = str(info.data.get("other_text") or "")
        if text and value is None:
            raise ValueError("say how bad the other effect was (mild, moderate or severe)")
        if not text and value is not None:
            raise ValueError("say what the other effect was (other_text), or leave its severity empty")
        return value


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID
    pain_before: int | None
    before_at: datetime | None
    pain_after: int | None
    after_at: datetime | None
    side_effects: dict[str, str]
    other_text: str
    other_severity: Severity | None


# -- n-of-1 series --------------------------------------------------------------------------------------------


class SeriesCreate(BaseModel):
    """An n-of-1 comparison: ``blocks`` blocks of one real and one sham session, in random order in each."""

    model_config = ConfigDict(extra="forbid")

    protocol: str = Field(default="alpha", description="alpha, smr_theta, theta_beta or asymmetry")
    channels: list[str] | None = Field(default=None, max_length=2)
    eyes: Eyes | None = None
    blocks: int = Field(
        default=3,
        ge=2,
        le=10,
        description="Blocks of one real and one sham session; the smallest p is 1/2**blocks",
    )
    duration_seconds: float = Field(default=20 * 60, ge=60, le=90 * 60)
    baseline_seconds: float = Field(default=60, ge=10, le=600)
    target_reward_rate: float = Field(default=0.7, ge=0.05, le=0.95)

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        return _check_protocol(value)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: list[str] | None) -> list[str] | None:
        return _check_channels(value)

    @model_validator(mode="after")
    def _baseline_inside(self) -> SeriesCreate:
        if self.baseline_seconds >= self.duration_seconds:
            raise ValueError(
                f"the baseline ({self.baseline_seconds:g} s) must be shorter than the session "
                f"({self.duration_seconds:g} s)"
            )
        return self


class SeriesRead(BaseModel):
    """A series as the care team sees it: the sequence only once it is unblinded."""

    id: uuid.UUID
    patient_id: uuid.UUID
    protocol: str
    eyes: Eyes
    blocks: int
    status: SeriesStatus
    sessions_done: int
    sessions_planned: int
    created_at: datetime
    completed_at: datetime | None
    stopped_at: datetime | None
    stop_reason: str
    unblinded_at: datetime | None
    arms: list[str] | None = Field(default=None, description="real/sham per session, once unblinded")
    seed: int | None = Field(default=None, description="The randomisation's seed, once unblinded")

    @classmethod
    def of(cls, row: NeurofeedbackSeries, *, done: int) -> SeriesRead:
        unblinded = row.unblinded_at is not None
        return cls(
            id=row.id,
            patient_id=row.patient_id,
            protocol=row.protocol,
            eyes=row.eyes,
            blocks=row.blocks,
            status=row.status,
            sessions_done=done,
            sessions_planned=2 * row.blocks,
            created_at=row.created_at,
            completed_at=row.completed_at,
            stopped_at=row.stopped_at,
            stop_reason=row.stop_reason,
            unblinded_at=row.unblinded_at,
            arms=list(row.arms) if unblinded else None,
            seed=row.seed if unblinded else None,
        )


class SeriesStop(BaseModel):
    reason: str = Field(default="", max_length=500)


class Unblind(BaseModel):
    accept_missing_ratings: bool = Field(
        default=False, description="Unblind although some sessions lack a rating (their blocks are left out)"
    )


class ReportSession(BaseModel):
    session_id: uuid.UUID
    slot: int
    arm: Literal["real", "sham"]
    when: datetime
    pain_before: int | None
    pain_after: int | None
    change: int | None


class SeriesReportRead(BaseModel):
    """The unblinded comparison: pain change (after minus before) in real against sham sessions."""

    series_id: uuid.UUID
    blocks_planned: int
    blocks_used: int
    n_real: int
    n_sham: int
    mean_change_real: float | None
    mean_change_sham: float | None
    mean_difference: float | None = Field(description="real minus sham, in points of 0-10 pain")
    p_value: float | None = Field(description="one-sided: real sessions lowered pain more than sham ones")
    p_value_two_sided: float | None
    smallest_possible_p: float | None
    assignments: int | None = Field(
        description="orders the randomisation could have produced (2**blocks used)"
    )
    sessions: list[ReportSession]
    notes: list[str]
