"""Therapy preferences: what the patient wants to try, is unsure about or declines, and what matters to them.

Saved by the patient or a clinician on the care team; each save is a new version, so the history shows who
changed what when. The plan rules read plain data from ``preferences_for``, ``goals_for`` and
``wants_neurofeedback``. Shared decision-making: NICE guideline NG197, "Shared decision making" (2021).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, User
from painrewire.errors import InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.therapy_preferences.models import Choice, Goal, TherapyPreferences
from painrewire.therapy_preferences.schemas import PreferencesUpdate

RESOURCE = "therapy_preferences"

#: One plain sentence per therapy, for the page where the patient chooses.
DESCRIPTIONS = {
    Module.PRT: "Learn how pain can come from the brain's alarm system, and practise turning the alarm down.",
    Module.GMI: "Short exercises that retrain how your brain sees and moves your back, starting with imagined "
    "movement.",
    Module.CBT: "Work on thoughts, pacing and getting back to things you have been avoiding, with a psychologist.",
    Module.MINDFULNESS: "Guided practice to notice pain and stress without fighting them.",
    Module.NEUROFEEDBACK: "Sessions with sensors on your scalp, learning to change your brain activity from "
    "feedback on a screen. The evidence that it helps pain is still weak.",
}


def _patient_id(patient: Patient | uuid.UUID) -> uuid.UUID:
    return patient.id if isinstance(patient, Patient) else patient


def latest_of(session: Session, patient: Patient | uuid.UUID) -> TherapyPreferences | None:
    """The preferences that hold now (access already checked), or None if never saved."""
    return session.scalar(
        select(TherapyPreferences)
        .where(TherapyPreferences.patient_id == _patient_id(patient))
        .order_by(TherapyPreferences.created_at.desc(), TherapyPreferences.id)
        .limit(1)
    )


def history_of(session: Session, patient: Patient) -> list[TherapyPreferences]:
    """Every saved version, newest first, with who saved it."""
    return list(
        session.scalars(
            select(TherapyPreferences)
            .where(TherapyPreferences.patient_id == patient.id)
            .options(joinedload(TherapyPreferences.changed_by))
            .order_by(TherapyPreferences.created_at.desc(), TherapyPreferences.id)
        )
    )


def get_preferences(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[Patient, TherapyPreferences | None]:
    """The preferences that hold now (the read is audited)."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, latest_of(session, patient)


def list_history(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[Patient, list[TherapyPreferences]]:
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, history_of(session, patient)


def save_preferences(
    session: Session, actor: User, patient_id: uuid.UUID, data: PreferencesUpdate
) -> TherapyPreferences:
    """Save a change as a new version (the patient or their care team); an unchanged save adds nothing."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE
    )
    return save_preferences_for(session, actor, patient, data)


def save_preferences_for(
    session: Session, actor: User, patient: Patient, data: PreferencesUpdate
) -> TherapyPreferences:
    """The same, for a patient whose access was already checked and audited."""
    latest = latest_of(session, patient)
    choices = dict(latest.choices) if latest else {}
    choices.update({module.value: choice.value for module, choice in data.choices.items()})
    choices = {m.value: choices[m.value] for m in Module if m.value in choices}
    goals = (
        [g.value for g in data.goals] if data.goals is not None else (list(latest.goals) if latest else [])
    )
    other = data.other_goal.strip() if data.other_goal is not None else (latest.other_goal if latest else "")
    if latest is not None and (latest.choices, latest.goals, latest.other_goal) == (choices, goals, other):
        return latest
    if latest is None and not (choices or goals or other):
        raise InvalidInput(
            "Nothing to save yet: choose want, unsure or no for a therapy, or pick what matters to you.",
            field="choices",
        )
    saved = TherapyPreferences(
        patient_id=patient.id, choices=choices, goals=goals, other_goal=other, changed_by_id=actor.id
    )
    session.add(saved)
    session.flush()
    return saved


# --- what changed, for the history --------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One saved version and what it changed from the one before, in words."""

    saved: TherapyPreferences
    changes: list[str]


def _choice_label(value: str | None) -> str:
    return Choice(value).label.lower() if value else "not asked"


def versions(history: list[TherapyPreferences]) -> list[Version]:
    """Each version (newest first) with its changes from the previous one."""
    found: list[Version] = []
    for index, saved in enumerate(history):
        before = history[index + 1] if index + 1 < len(history) else None
        changes = []
        for module in Module:
            old = before.choices.get(module.value) if before else None
            new = saved.choices.get(module.value)
            if old != new:
                changes.append(f"{module.label}: {_choice_label(old)} → {_choice_label(new)}")
        old_goals = before.goals if before else []
        added = [Goal(g).label for g in saved.goals if g not in old_goals]
        removed = [Goal(g).label for g in old_goals if g not in saved.goals]
        if added:
            changes.append("Goals added: " + ", ".join(added))
        if removed:
            changes.append("Goals removed: " + ", ".join(removed))
        if (before.other_goal if before else "") != saved.other_goal:
            changes.append(
                f"In their words: “{saved.other_goal}”" if saved.other_goal else "In their words: removed"
            )
        found.append(Version(saved=saved, changes=changes))
    return found


# --- plain data for the plan rules ---------------------------------------------------------------------------


def preferences_for(session: Session, patient: Patient | uuid.UUID) -> dict[Module, str]:
    """Each therapy the patient was asked about and their answer: ``"want"``, ``"unsure"`` or ``"decline"``.

    A therapy never asked about is absent. Not audited: for use inside a use case already checked.
    """
    latest = latest_of(session, patient)
    if latest is None:
        return {}
    return {Module(m): Choice(c).value for m, c in latest.choices.items() if m in Module._value2member_map_}


def goals_for(session: Session, patient: Patient | uuid.UUID) -> list[str]:
    """The goals ticked (``Goal`` values such as ``"sleep_better"``), in the order of the list."""
    latest = latest_of(session, patient)
    return [g.value for g in Goal if latest is not None and g.value in latest.goals]


def wants_neurofeedback(session: Session, patient: Patient | uuid.UUID) -> bool | None:
    """For ``plans.rules.Preferences``: True if wanted, False if declined, None if unsure or never asked."""
    choice = preferences_for(session, patient).get(Module.NEUROFEEDBACK)
    return {"want": True, "decline": False}.get(choice) if choice else None
