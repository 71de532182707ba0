"""The public face of the clinic's clinicians (their profiles) and the outside services it refers patients on to.

A profile holds only what a clinician chooses to publish: qualifications, languages, the treatments they
offer and a few sentences about themselves. Discipline and name come from the account; the next free time
comes from the booking calendar when the directory is shown.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Modality(enum.StrEnum):
    """Treatments a clinician offers, as the directory lists and filters them."""

    MEDICAL_ASSESSMENT = "medical_assessment"
    PAIN_EDUCATION = "pain_education"
    PAIN_REPROCESSING = "pain_reprocessing"
    GRADED_MOTOR_IMAGERY = "graded_motor_imagery"
    GRADED_MOVEMENT = "graded_movement"
    CBT = "cbt"
    MINDFULNESS = "mindfulness"
    NEUROFEEDBACK = "neurofeedback"

    @property
    def label(self) -> str:
        return {
            Modality.MEDICAL_ASSESSMENT: "Medical assessment",
            Modality.PAIN_EDUCATION: "Pain education",
            Modality.PAIN_REPROCESSING: "Pain reprocessing therapy",
            Modality.GRADED_MOTOR_IMAGERY: "Graded motor imagery",
            Modality.GRADED_MOVEMENT: "Graded movement and exercise",
            Modality.CBT: "CBT for pain",
            Modality.MINDFULNESS: "Mindfulness",
            Modality.NEUROFEEDBACK: "EEG neurofeedback",
        }[self]


class ClinicianProfile(Base):
    """What the public directory shows of one clinician; ``listed`` false keeps them out of it."""

    __tablename__ = "clinician_profiles"

    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    qualifications: Mapped[str] = mapped_column(String(300), default="")
    #: Languages the clinician sees patients in, as people name them ("English", "Spanish").
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: `Modality` values.
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    listed: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    clinician: Mapped[User] = relationship(foreign_keys=[clinician_id], lazy="raise")


class ServiceKind(enum.StrEnum):
    """Kinds of outside service a patient may be referred on to."""

    PHYSIOTHERAPY = "physiotherapy"
    PSYCHIATRY = "psychiatry"
    PSYCHOLOGY = "psychology"
    SLEEP = "sleep"
    PAIN_MANAGEMENT_PROGRAMME = "pain_management_programme"
    RHEUMATOLOGY = "rheumatology"
    SPINAL_SURGERY = "spinal_surgery"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            ServiceKind.PHYSIOTHERAPY: "Physiotherapy",
            ServiceKind.PSYCHIATRY: "Psychiatry",
            ServiceKind.PSYCHOLOGY: "Psychology",
            ServiceKind.SLEEP: "Sleep clinic",
            ServiceKind.PAIN_MANAGEMENT_PROGRAMME: "Pain management programme",
            ServiceKind.RHEUMATOLOGY: "Rheumatology",
            ServiceKind.SPINAL_SURGERY: "Spinal surgery",
            ServiceKind.OTHER: "Other",
        }[self]


class ExternalService(IdMixin, TimestampMixin, Base):
    """An outside service the clinic refers patients on to; kept by the front desk, retired rather than deleted."""

    __tablename__ = "external_services"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ServiceKind] = mapped_column(_enum(ServiceKind, "external_service_kind"))
    #: Who to write to: a named contact, the postal address, phone.
    contact: Mapped[str] = mapped_column(Text, default="")
    #: Where letters are emailed (a secure link to the letter); empty: letters go by post.
    email: Mapped[str] = mapped_column(String(254), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
