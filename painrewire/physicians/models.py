"""The patient's GP and referring doctor: one row per saved version, so a change (and a change of the consent
to send them letters) is never lost. The newest row of each role is the one that holds."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin


class PhysicianRole(enum.StrEnum):
    GP = "gp"
    REFERRING = "referring"

    @property
    def label(self) -> str:
        return {PhysicianRole.GP: "GP (family doctor)", PhysicianRole.REFERRING: "Referring doctor"}[self]


class PatientPhysician(IdMixin, TimestampMixin, Base):
    """A doctor of the patient as saved at ``created_at`` by ``changed_by``."""

    __tablename__ = "patient_physicians"
    __table_args__ = (Index("ix_patient_physicians_patient_role", "patient_id", "role", "created_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    role: Mapped[PhysicianRole] = mapped_column(
        Enum(
            PhysicianRole,
            name="physician_role",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str] = mapped_column(String(200))
    practice: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    #: The patient agrees that the clinic may send this doctor letters about their care.
    share_letters: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    changed_by: Mapped[User | None] = relationship(lazy="raise")
