"""Treatment plans: every change is a new version with who, when and why; a clinician signs a version.

At most one version of a patient's plan is signed at a time (a partial unique index, so two clinicians
signing at the same moment cannot both win); the one it replaces becomes superseded.

The course of treatment is kept beside the plan: the day it started (recorded when the first version is
signed) and the day it ended (recorded by a clinician), and the follow-up questionnaires asked after it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, utcnow
from painrewire.diary.outcomes import StartSource, TimePoint


class VersionStatus(enum.StrEnum):
    PROPOSED = "proposed"
    SIGNED = "signed"
    SUPERSEDED = "superseded"


class PlanVersion(IdMixin, Base):
    """One version of a patient's plan: the proposal (modules, disciplines, schedule, fired rules) as JSON."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("patient_id", "number"),
        Index(
            "uq_plan_versions_one_signed",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'signed'"),
            postgresql_where=text("status = 'signed'"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[VersionStatus] = mapped_column(
        Enum(
            VersionStatus,
            name="plan_status",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change_reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date]
    signed_at: Mapped[datetime | None] = mapped_column(default=None)
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sign_note: Mapped[str] = mapped_column(Text, default="")

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id], lazy="raise")


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class EndReason(enum.StrEnum):
    COMPLETED = "completed"
    STOPPED_EARLY = "stopped_early"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "completed": "Treatment completed",
            "stopped_early": "Stopped early",
            "other": "Other reason",
        }[self.value]


class TreatmentCourse(Base):
    """A patient's course of treatment: when it started and, once a clinician records it, when it ended.

    ``treatment_started_on`` is the plan's first signing or the first practice session, whichever came first
    (`painrewire.diary.outcomes.treatment_start`), in the patient's calendar; it is written once, when the first
    plan version is signed, and later versions do not move it. The outcome baseline is the week before it.
    """

    __tablename__ = "treatment_courses"

    patient_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    treatment_started_on: Mapped[date]
    start_source: Mapped[StartSource] = mapped_column(_enum(StartSource, "treatment_start_source"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_on: Mapped[date | None] = mapped_column(default=None)
    end_reason: Mapped[EndReason | None] = mapped_column(
        _enum(EndReason, "treatment_end_reason"), default=None
    )
    end_note: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class FollowUpRequest(IdMixin, Base):
    """A questionnaire the clinic asked for at a follow-up time point (end of treatment, 3, 6, 12 months).

    One row per patient, time point and instrument, so the worker asks once however often it runs; it points
    at the questionnaire assignment that asked (one already open for the same instrument stands for it).
    """

    __tablename__ = "follow_up_requests"
    __table_args__ = (UniqueConstraint("patient_id", "time_point", "instrument_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    time_point: Mapped[TimePoint] = mapped_column(_enum(TimePoint, "follow_up_time_point"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date]
    assignment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("questionnaire_assignments.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
