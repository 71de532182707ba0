"""Clinical flags: a clinician's judgement, recorded for the plan rules with who, when and why.

Some plan routes read licensed questionnaires (PCS, TSK-11, CSI) whose wording a clinic may not be able to ship.
A clinician who sees the same thing in clinic records it here instead: "fear of movement observed", "worry or
low mood affecting pain", "stress or tension drives the pain". The plan rules read the flags that stand
(``clinician.<kind>``) and name who recorded them, on what day and why.

A flag is never edited: clearing it writes who cleared it and when on the same row, and recording the kind again
later makes a new row, so the history shows each period. At most one flag of each kind stands per patient,
which the database enforces.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, utcnow


class FlagKind(enum.StrEnum):
    """What a clinician can record; the values are the plan rules' ``clinician.<kind>`` paths."""

    FEAR_OF_MOVEMENT = "fear_of_movement"
    WORRY_OR_LOW_MOOD = "worry_or_low_mood"
    STRESS_DRIVES_PAIN = "stress_drives_pain"

    @property
    def label(self) -> str:
        return {
            FlagKind.FEAR_OF_MOVEMENT: "Fear of movement observed",
            FlagKind.WORRY_OR_LOW_MOOD: "Worry or low mood affecting pain",
            FlagKind.STRESS_DRIVES_PAIN: "Stress or tension drives the pain",
        }[self]

    @property
    def opens(self) -> str:
        """What the clinic's default rules plan when the flag stands, and the questionnaire it stands in for."""
        return {
            FlagKind.FEAR_OF_MOVEMENT: "Graded exposure with a physical therapist (in place of the TSK-11).",
            FlagKind.WORRY_OR_LOW_MOOD: "CBT thought records with a psychologist (in place of the PCS).",
            FlagKind.STRESS_DRIVES_PAIN: "Mindfulness practice on most days (in place of the CSI).",
        }[self]


class ClinicalFlag(IdMixin, Base):
    """One period of a clinician's judgement: recorded (by whom, when, why) and, once it no longer holds, cleared."""

    __tablename__ = "clinical_flags"
    __table_args__ = (
        Index(
            "uq_clinical_flags_standing",
            "patient_id",
            "kind",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FlagKind] = mapped_column(
        Enum(
            FlagKind,
            name="clinical_flag_kind",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    note: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    clear_note: Mapped[str] = mapped_column(Text, default="")

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id], lazy="raise")
    cleared_by: Mapped[User | None] = relationship(foreign_keys=[cleared_by_id], lazy="raise")

    @property
    def standing(self) -> bool:
        return self.cleared_at is None
