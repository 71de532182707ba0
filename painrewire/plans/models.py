"""Treatment plans: every change is a new version with who, when and why; a clinician signs a version.

At most one version of a patient's plan is signed at a time (a partial unique index, so two clinicians
signing at the same moment cannot both win); the one it replaces becomes superseded.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, utcnow


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
