"""Referrals in: a physician's referral of a patient, sent from the public form, and the front desk's decision.

The physician's letter (a PDF) is kept in the database with the referral, not in a folder: it is written in the
same transaction (a failed request leaves neither half), it is in every backup with the rest of the record,
it is erased with the patient and exported in their data download like any other row, and it is only ever read
through the audited service. Letters are capped in size by a setting (5 MiB by default), so a clinic's few
hundred referrals a year stay small for PostgreSQL (stored out of line) and for SQLite alike.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class ReferralStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            ReferralStatus.NEW: "New",
            ReferralStatus.ACCEPTED: "Accepted",
            ReferralStatus.DECLINED: "Declined",
        }[self]


class Urgency(enum.StrEnum):
    ROUTINE = "routine"
    SOON = "soon"

    @property
    def label(self) -> str:
        return {Urgency.ROUTINE: "Routine", Urgency.SOON: "Soon"}[self]


class Referral(IdMixin, TimestampMixin, Base):
    """One referral from a physician: who refers, whom, why, what they have excluded, and what the clinic decided.

    ``excluded`` lists the specific causes of back pain the referrer says are excluded, as
    `painrewire.clearance.models.Cause` values, so the clinician who clears the patient sees them in the same
    terms. ``patient_id`` is set once the front desk accepts it (a new account, or one that existed).
    """

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_created", "status", "created_at"),)

    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus, "referral_status"), default=ReferralStatus.NEW
    )
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency, "referral_urgency"), default=Urgency.ROUTINE)
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_organisation: Mapped[str] = mapped_column(String(200))
    referrer_email: Mapped[str] = mapped_column(String(254))
    referrer_phone: Mapped[str] = mapped_column(String(40), default="")
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_date_of_birth: Mapped[date]
    patient_email: Mapped[str] = mapped_column(String(254), default="")
    patient_phone: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text)
    excluded: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: What "other" names, when the referrer ticked it.
    excluded_other: Mapped[str] = mapped_column(String(300), default="")
    letter_filename: Mapped[str | None] = mapped_column(String(200), default=None)
    letter_size: Mapped[int | None] = mapped_column(Integer, default=None)
    letter_pages: Mapped[int | None] = mapped_column(Integer, default=None)
    letter_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    letter: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), default=None, index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decline_reason: Mapped[str | None] = mapped_column(Text, default=None)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    @property
    def reference(self) -> str:
        """A short reference the referrer and the front desk can quote on the phone."""
        return "R-" + self.id.hex[:8].upper()
