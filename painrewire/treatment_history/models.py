"""Treatment history: one row per treatment the patient has had, and a revision row for every change to it.

An entry holds what it is now (``version`` counts its changes); each revision keeps a full copy of the entry
as it was saved, by whom and when, so an edit or a removal never loses what was there before. A removed
entry stays in the table with ``removed_at`` set.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Category(enum.StrEnum):
    MEDICINE = "medicine"
    #: Physiotherapy and exercise programmes.
    PHYSIOTHERAPY = "physiotherapy"
    #: Injections and procedures (epidural, facet joint injection, radiofrequency denervation, ...).
    INJECTION = "injection"
    SURGERY = "surgery"
    #: Psychological therapies (CBT, ACT, pain management programme, counselling).
    PSYCHOLOGICAL = "psychological"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            Category.MEDICINE: "Medicine",
            Category.PHYSIOTHERAPY: "Physiotherapy or exercise programme",
            Category.INJECTION: "Injection or procedure",
            Category.SURGERY: "Surgery",
            Category.PSYCHOLOGICAL: "Psychological therapy",
            Category.OTHER: "Other treatment",
        }[self]


class MedicineClass(enum.StrEnum):
    SIMPLE_ANALGESIC = "simple_analgesic"
    NSAID = "nsaid"
    OPIOID = "opioid"
    GABAPENTINOID = "gabapentinoid"
    #: Antidepressants taken for pain (amitriptyline, duloxetine, ...).
    ANTIDEPRESSANT = "antidepressant"
    MUSCLE_RELAXANT = "muscle_relaxant"
    OTHER = "other_medicine"

    @property
    def label(self) -> str:
        return {
            MedicineClass.SIMPLE_ANALGESIC: "Simple painkillers (such as paracetamol)",
            MedicineClass.NSAID: "Anti-inflammatories (NSAIDs, such as ibuprofen or naproxen)",
            MedicineClass.OPIOID: "Opioids (such as codeine, tramadol or morphine)",
            MedicineClass.GABAPENTINOID: "Gabapentin or pregabalin",
            MedicineClass.ANTIDEPRESSANT: "Antidepressants for pain (such as amitriptyline or duloxetine)",
            MedicineClass.MUSCLE_RELAXANT: "Muscle relaxants (such as diazepam)",
            MedicineClass.OTHER: "Other medicine",
        }[self]

    @property
    def short(self) -> str:
        return {
            MedicineClass.SIMPLE_ANALGESIC: "simple painkillers",
            MedicineClass.NSAID: "NSAIDs",
            MedicineClass.OPIOID: "opioids",
            MedicineClass.GABAPENTINOID: "gabapentinoids",
            MedicineClass.ANTIDEPRESSANT: "antidepressants for pain",
            MedicineClass.MUSCLE_RELAXANT: "muscle relaxants",
            MedicineClass.OTHER: "other medicines",
        }[self]


class Effect(enum.StrEnum):
    """How much the treatment helped, as the patient tells it."""

    NONE = "none"
    SOME = "some"
    GOOD = "good"

    @property
    def label(self) -> str:
        return {Effect.NONE: "Did not help", Effect.SOME: "Helped a little", Effect.GOOD: "Helped a lot"}[
            self
        ]


class RevisionKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REMOVED = "removed"


class TreatmentEntry(IdMixin, TimestampMixin, Base):
    """One treatment as it stands now. Start and end: a date, or the year when that is all the patient knows."""

    __tablename__ = "treatment_entries"
    __table_args__ = (Index("ix_treatment_entries_patient", "patient_id", "removed_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    category: Mapped[Category] = mapped_column(_enum(Category, "treatment_category"))
    medicine_class: Mapped[MedicineClass | None] = mapped_column(
        _enum(MedicineClass, "treatment_medicine_class"), default=None
    )
    #: What it was, in the patient's words: "Naproxen", "Back class at the leisure centre", "L4/5 discectomy".
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(200), default="")
    duration_weeks: Mapped[int | None] = mapped_column(default=None)
    effect: Mapped[Effect | None] = mapped_column(_enum(Effect, "treatment_effect"), default=None)
    side_effects: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date | None] = mapped_column(default=None)
    started_year: Mapped[int | None] = mapped_column(default=None)
    ended_on: Mapped[date | None] = mapped_column(default=None)
    ended_year: Mapped[int | None] = mapped_column(default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], lazy="raise")

    @property
    def kind(self) -> str:
        """What the treatment is, as one word for rules and summaries: the medicine class, or the category."""
        if self.category == Category.MEDICINE and self.medicine_class is not None:
            return self.medicine_class.value
        return self.category.value

    @property
    def kind_label(self) -> str:
        if self.category == Category.MEDICINE and self.medicine_class is not None:
            return self.medicine_class.label
        return self.category.label

    @property
    def started_label(self) -> str:
        return _when(self.started_on, self.started_year)

    @property
    def ended_label(self) -> str:
        return _when(self.ended_on, self.ended_year)


def _when(day: date | None, year: int | None) -> str:
    if day is not None:
        return day.strftime("%d %b %Y")
    if year is not None:
        return f"about {year}"
    return ""


class TreatmentEntryRevision(IdMixin, TimestampMixin, Base):
    """The entry as saved at one version: a full copy, who saved it, and whether it was made, edited or removed."""

    __tablename__ = "treatment_entry_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("treatment_entries.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    change: Mapped[RevisionKind] = mapped_column(_enum(RevisionKind, "treatment_revision_kind"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    changed_by: Mapped[User | None] = relationship(lazy="raise")
