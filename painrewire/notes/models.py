"""Clinical notes: written by a clinician on the care team, tagged with the discipline they wrote it in.

A note is never changed once written (a clinical record): a correction is a new note that names the one it
corrects, so the record shows both, as a paper chart would.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Enum, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import Discipline, User
from painrewire.db import Base, IdMixin, TimestampMixin


class ClinicalNote(IdMixin, TimestampMixin, Base):
    __tablename__ = "clinical_notes"
    __table_args__ = (Index("ix_clinical_notes_patient_created", "patient_id", "created_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The author's discipline when the note was written (a clinician's discipline may change later).
    discipline: Mapped[Discipline] = mapped_column(
        Enum(
            Discipline,
            name="note_discipline",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    body: Mapped[str] = mapped_column(Text)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clinical_notes.id", ondelete="SET NULL"), default=None
    )

    author: Mapped[User | None] = relationship(lazy="raise")
