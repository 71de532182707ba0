"""A patient's request to have their data erased, and what the erasure removed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin


class ErasureStatus(enum.StrEnum):
    REQUESTED = "requested"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    COMPLETED = "completed"


class ErasureRequest(IdMixin, TimestampMixin, Base):
    """One request; at most one is open (``requested``) per patient at a time.

    After the erasure the row keeps only what says it happened: who asked, who confirmed, when, and how many
    rows each table lost (``removed``) -- never any health content.
    """

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_patient_status", "patient_id", "status"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    status: Mapped[ErasureStatus] = mapped_column(
        Enum(
            ErasureStatus,
            name="erasure_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ErasureStatus.REQUESTED,
    )
    #: The patient's reason, shown to the care team while the request is open; removed by the erasure.
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The clinician's note when confirming or declining (no health content is asked for).
    decision_note: Mapped[str | None] = mapped_column(Text, default=None)
    #: Rows removed per table, e.g. ``{"diary_entries": 41}``.
    removed: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: The account's e-mail before it was anonymised is not kept; this is the placeholder it became.
    anonymised_email: Mapped[str | None] = mapped_column(String(254), default=None)
