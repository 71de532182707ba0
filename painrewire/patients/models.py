"""The patient record and the care team that looks after each patient."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def local_day(zone: str, instant: datetime) -> date:
    """The calendar day of an instant in the IANA time zone ``zone`` (a patient's, a clinic's)."""
    return instant.astimezone(ZoneInfo(zone)).date()


class Patient(IdMixin, TimestampMixin, Base):
    """A person treated by the clinic; their account is ``user``."""

    __tablename__ = "patients"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    date_of_birth: Mapped[date | None] = mapped_column(default=None)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    #: The patient's IANA time zone; the clinic's (``Settings.clinic_timezone``) unless they chose another.
    timezone: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")
    care_team: Mapped[list[CareTeamMember]] = relationship(
        back_populates="patient", lazy="raise", cascade="all, delete-orphan"
    )

    def local_today(self, now: datetime | None = None) -> date:
        """The calendar day where the patient lives: a diary day is the patient's day, not the server's."""
        return local_day(self.timezone, now or utcnow())


class CareTeamMember(IdMixin, TimestampMixin, Base):
    """One clinician on one patient's care team."""

    __tablename__ = "care_team_members"
    __table_args__ = (UniqueConstraint("patient_id", "clinician_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    patient: Mapped[Patient] = relationship(back_populates="care_team", lazy="raise")
    clinician: Mapped[User] = relationship(foreign_keys=[clinician_id], lazy="raise")
