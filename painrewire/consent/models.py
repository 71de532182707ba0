"""Consent records: one row per consent given, kept for good; a withdrawal is written on the same row.

A consent given again after a withdrawal is a new row, so the record shows each period of consent and who
recorded its start and its end. At most one consent of each kind is current (not withdrawn) per patient,
which the database enforces.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class ConsentKind(enum.StrEnum):
    """What a consent covers."""

    TREATMENT = "treatment"
    NEUROFEEDBACK = "neurofeedback"
    #: Consent to blinded neurofeedback: some sessions may be sham (replayed feedback), not said which.
    BLINDED_NEUROFEEDBACK = "blinded_neurofeedback"
    #: Consent to the patient's de-identified data being included in research exports.
    RESEARCH = "research"


class ConsentMethod(enum.StrEnum):
    """How a consent (or its withdrawal) was given."""

    #: Online, by the patient themself.
    ONLINE = "online"
    #: Said to a clinician in clinic, who recorded it.
    IN_CLINIC = "in_clinic"
    #: Signed on paper; a clinician entered it.
    PAPER = "paper"

    @property
    def label(self) -> str:
        return {
            ConsentMethod.ONLINE: "online, by the patient",
            ConsentMethod.IN_CLINIC: "in clinic, recorded by a clinician",
            ConsentMethod.PAPER: "on paper, entered by a clinician",
        }[self]


class ConsentRecord(IdMixin, TimestampMixin, Base):
    """One consent: its kind, the exact text and version agreed to, when, how and by whom; and its withdrawal."""

    __tablename__ = "consent_records"
    __table_args__ = (
        Index("ix_consent_records_patient_kind", "patient_id", "kind", "given_at"),
        # One current consent per patient and kind, even when two people record one at once.
        Index(
            "uq_consent_records_current",
            "patient_id",
            "kind",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind, "consent_kind"))
    #: The version of the consent text agreed to, and the text itself as it was shown.
    text_version: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[ConsentMethod] = mapped_column(_enum(ConsentMethod, "consent_method"))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    withdrawal_method: Mapped[ConsentMethod | None] = mapped_column(
        _enum(ConsentMethod, "consent_withdrawal_method"), default=None
    )
    withdrawal_note: Mapped[str | None] = mapped_column(Text, default=None)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id], lazy="raise")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="raise")

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None
