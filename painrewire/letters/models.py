"""Letters out: what a clinician wrote to a patient's physician or to an outside service, and how it was sent.

A letter is made once from the record and kept as it was made (its HTML and its PDF): a record of what the
clinic told whom, never re-rendered from data that has changed since. Sending is recorded on the letter: when,
by whom, and how (by email, as a link that expires, or printed for the post).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin
from painrewire.physicians.models import PhysicianRole


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class LetterKind(enum.StrEnum):
    INITIAL_ASSESSMENT = "initial_assessment"
    PROGRESS = "progress"
    DISCHARGE = "discharge"
    ONWARD_REFERRAL = "onward_referral"

    @property
    def label(self) -> str:
        return {
            LetterKind.INITIAL_ASSESSMENT: "After the initial assessment",
            LetterKind.PROGRESS: "Progress update",
            LetterKind.DISCHARGE: "Discharge summary",
            LetterKind.ONWARD_REFERRAL: "Referral to an outside service",
        }[self]


class RecipientKind(enum.StrEnum):
    PHYSICIAN = "physician"
    EXTERNAL_SERVICE = "external_service"


class DeliveryMethod(enum.StrEnum):
    EMAIL = "email"
    POST = "post"

    @property
    def label(self) -> str:
        return {DeliveryMethod.EMAIL: "by email (a download link)", DeliveryMethod.POST: "by post"}[self]


class Letter(IdMixin, TimestampMixin, Base):
    """One letter about one patient, as made and as sent.

    ``link_token_hash`` is the SHA-256 of the emailed download link's random token (the token itself is only
    in the email); the link stops working at ``link_expires_at`` or when the letter is sent again.
    """

    __tablename__ = "letters"
    __table_args__ = (Index("ix_letters_patient_created", "patient_id", "created_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[LetterKind] = mapped_column(_enum(LetterKind, "letter_kind"))
    recipient_kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind, "letter_recipient_kind"))
    external_service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("external_services.id", ondelete="SET NULL"), default=None, index=True
    )
    #: The patient's doctor written to: which of their doctors, and the saved version of the details used.
    physician_role: Mapped[PhysicianRole | None] = mapped_column(
        Enum(
            PhysicianRole,
            name="letter_physician_role",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=None,
    )
    physician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient_physicians.id", ondelete="SET NULL"), default=None
    )
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_address: Mapped[str] = mapped_column(Text, default="")
    recipient_email: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300))
    #: Why the patient is referred on (onward referrals), in the clinician's words.
    reason: Mapped[str] = mapped_column(Text, default="")
    #: The clinician's own paragraph, added to the template's text.
    note: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    sent_via: Mapped[DeliveryMethod | None] = mapped_column(
        _enum(DeliveryMethod, "letter_delivery"), default=None
    )
    sent_to: Mapped[str | None] = mapped_column(String(254), default=None)
    link_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    link_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    downloaded_at: Mapped[datetime | None] = mapped_column(default=None)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id], lazy="raise")
