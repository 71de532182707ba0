"""JSON routes for therapy preferences: what holds now, a change, and the history."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentUser
from painrewire.accounts.models import User
from painrewire.practice.models import Module
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, Goal, TherapyPreferences
from painrewire.therapy_preferences.schemas import PreferencesRead, PreferencesUpdate
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["therapy preferences"])
ERRORS = error_responses(401, 403, 404, 422)


def preferences_read(
    session: Session, patient_id: uuid.UUID, saved: TherapyPreferences | None
) -> PreferencesRead:
    if saved is None:
        return PreferencesRead(patient_id=patient_id, choices={}, goals=[], other_goal="", saved_at=None)
    by = session.get(User, saved.changed_by_id) if saved.changed_by_id else None
    return PreferencesRead(
        patient_id=patient_id,
        choices={Module(m): Choice(c) for m, c in saved.choices.items()},
        goals=[Goal(g) for g in saved.goals],
        other_goal=saved.other_goal,
        saved_at=saved.created_at,
        changed_by_id=saved.changed_by_id,
        changed_by_name=by.full_name if by else None,
    )


@router.get(
    "/patients/{patient_id}/therapy-preferences",
    response_model=PreferencesRead,
    summary="What the patient wants from each therapy, and their goals, as they hold now",
    responses=ERRORS,
)
def get_preferences(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PreferencesRead:
    patient, saved = preferences.get_preferences(session, user, patient_id)
    return preferences_read(session, patient.id, saved)


@router.patch(
    "/patients/{patient_id}/therapy-preferences",
    response_model=PreferencesRead,
    summary="Change preferences (therapies named change, others keep their answer); kept as a new version",
    responses=ERRORS,
)
def update_preferences(
    patient_id: uuid.UUID, data: PreferencesUpdate, user: CurrentUser, session: SessionDep
) -> PreferencesRead:
    saved = preferences.save_preferences(session, user, patient_id, data)
    return preferences_read(session, patient_id, saved)


@router.get(
    "/patients/{patient_id}/therapy-preferences/history",
    response_model=list[PreferencesRead],
    summary="Every saved version, newest first",
    responses=ERRORS,
)
def list_history(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[PreferencesRead]:
    patient, history = preferences.list_history(session, user, patient_id)
    return [preferences_read(session, patient.id, saved) for saved in history]
