"""Therapy preferences: one row per saved version, never changed, so the history shows every change of mind.

The newest row is what holds now. ``choices`` maps a therapy module (``practice.models.Module``) to
``want``, ``unsure`` or ``decline``; a module not in it was never asked about.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import JSON, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import User
from painrewire.db import Base, IdMixin, TimestampMixin


class Choice(enum.StrEnum):
    WANT = "want"
    UNSURE = "unsure"
    DECLINE = "decline"

    @property
    def label(self) -> str:
        return {
            Choice.WANT: "I'd like to try it",
            Choice.UNSURE: "Not sure yet",
            Choice.DECLINE: "No, thank you",
        }[self]


class Goal(enum.StrEnum):
    """What matters to the patient, in their words; the short list a patient ticks."""

    FEWER_FLARE_UPS = "fewer_flare_ups"
    SLEEP_BETTER = "sleep_better"
    BACK_TO_WORK = "back_to_work"
    MOVE_WITHOUT_FEAR = "move_without_fear"
    LIFT_AND_CARRY = "lift_and_carry"
    EXERCISE_OR_SPORT = "exercise_or_sport"
    LESS_MEDICATION = "less_medication"

    @property
    def label(self) -> str:
        return {
            Goal.FEWER_FLARE_UPS: "Fewer flare-ups",
            Goal.SLEEP_BETTER: "Sleep better",
            Goal.BACK_TO_WORK: "Get back to work",
            Goal.MOVE_WITHOUT_FEAR: "Move without fear",
            Goal.LIFT_AND_CARRY: "Lift and carry",
            Goal.EXERCISE_OR_SPORT: "Exercise or sport",
            Goal.LESS_MEDICATION: "Take less medication",
        }[self]


class TherapyPreferences(IdMixin, TimestampMixin, Base):
    """The patient's preferences as saved at ``created_at`` by ``changed_by`` (the patient or a clinician)."""

    __tablename__ = "therapy_preferences"
    __table_args__ = (Index("ix_therapy_preferences_patient_created", "patient_id", "created_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    choices: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    goals: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_goal: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    changed_by: Mapped[User | None] = relationship(lazy="raise")
