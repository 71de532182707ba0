"""Clearance for practice: a medically qualified clinician's record that the specific causes of back pain were
considered, and which practice it opens.

Each clearance is a new version for the patient (1, 2, ...); none is ever edited. The newest version is the
current one; once it is withdrawn the patient is not cleared, and no older version comes back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, utcnow


class Cause(enum.StrEnum):
    """The families of specific causes a clinician considers before brain-centred practice starts.

    From NICE NG59 (low back pain and sciatica: assessment) and the ASAS criteria for inflammatory back pain
    (Sieper J et al. Ann Rheum Dis 2009;68:784-8).
    """

    INFLAMMATORY = "inflammatory"
    RADICULAR_NEUROLOGICAL = "radicular_neurological"
    FRACTURE = "fracture"
    MALIGNANCY = "malignancy"
    INFECTION = "infection"
    VISCERAL_VASCULAR = "visceral_vascular"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            Cause.INFLAMMATORY: "Inflammatory back pain (axial spondyloarthritis)",
            Cause.RADICULAR_NEUROLOGICAL: "Radicular pain or a neurological deficit (including cauda equina)",
            Cause.FRACTURE: "Fracture",
            Cause.MALIGNANCY: "Malignancy",
            Cause.INFECTION: "Infection",
            Cause.VISCERAL_VASCULAR: "Visceral or vascular cause (such as an aortic aneurysm)",
            Cause.OTHER: "Other specific cause",
        }[self]


class Finding(enum.StrEnum):
    RULED_OUT = "ruled_out"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {Finding.RULED_OUT: "Ruled out", Finding.NOT_APPLICABLE: "Not applicable"}[self]


class Clearance(IdMixin, Base):
    """One version of a patient's clearance for practice: causes considered, the intake read, the modules opened.

    ``causes`` maps every `Cause` value to ``{"finding": <Finding value>, "note": str}`` (``other`` also has
    ``"text"``, naming the cause); ``modules`` lists the `painrewire.practice.models.Module` values it opens.
    """

    __tablename__ = "clearances"
    __table_args__ = (UniqueConstraint("patient_id", "version"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    intake_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("intakes.id", ondelete="SET NULL"), default=None
    )
    cleared_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cleared_at: Mapped[datetime] = mapped_column(default=utcnow)
    causes: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON)
    modules: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, default=None)

    cleared_by: Mapped[User | None] = relationship(foreign_keys=[cleared_by_id], lazy="raise")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="raise")

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def allows(self, module: str) -> bool:
        return not self.withdrawn and module in self.modules
