"""JSON routes: the public clinician directory, profiles, and the clinic's list of outside services."""

from __future__ import annotations

import uuid

from fastapi import Query

from painrewire.accounts.deps import CurrentAdmin, CurrentStaff, CurrentUser
from painrewire.directory import service as directory
from painrewire.directory.models import ClinicianProfile
from painrewire.directory.schemas import (
    DirectoryEntryRead,
    ExternalServiceCreate,
    ExternalServiceRead,
    ExternalServiceUpdate,
    NextTimeRead,
    ProfileRead,
    ProfileUpdate,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["directory"])


def _profile(profile: ClinicianProfile) -> ProfileRead:
    return ProfileRead(
        clinician_id=profile.clinician_id,
        qualifications=profile.qualifications,
        languages=list(profile.languages),
        modalities=directory.modalities_of(list(profile.modalities)),
        bio=profile.bio,
        listed=profile.listed,
        updated_at=profile.updated_at,
    )


@router.get(
    "/directory/clinicians",
    response_model=list[DirectoryEntryRead],
    summary="The public list of clinicians with their next free time (no login)",
    responses=error_responses(422),
)
def list_directory(
    session: SessionDep,
    settings: SettingsDep,
    discipline: str | None = Query(default=None, max_length=40),
    language: str | None = Query(default=None, max_length=40),
    modality: str | None = Query(default=None, max_length=40),
) -> list[DirectoryEntryRead]:
    found = directory.directory(
        session,
        clinic_zone=settings.clinic_timezone,
        discipline=directory.parse_discipline(discipline),
        language=language,
        modality=directory.parse_modality(modality),
    )
    base = settings.base_url.rstrip("/")
    return [
        DirectoryEntryRead(
            clinician_id=e.clinician_id,
            full_name=e.full_name,
            discipline=e.discipline,
            discipline_label=e.discipline.label,
            qualifications=e.qualifications,
            languages=e.languages,
            modalities=e.modalities,
            bio=e.bio,
            next_time=NextTimeRead(
                appointment_type=e.next_time.kind.key,
                label=e.next_time.kind.label,
                starts_at=e.next_time.starts_at,
                mode=e.next_time.mode,
                new_patients=e.next_time.kind.new_patients,
                book_url=base + e.next_time.book_href,
            )
            if e.next_time
            else None,
        )
        for e in found.entries
    ]


@router.get(
    "/clinicians/{clinician_id}/profile",
    response_model=ProfileRead,
    summary="A clinician's directory profile (the clinician or an admin)",
    responses=error_responses(401, 403, 404),
)
def get_profile(clinician_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ProfileRead:
    _, profile = directory.get_profile(session, user, clinician_id)
    return _profile(profile)


@router.put(
    "/clinicians/{clinician_id}/profile",
    response_model=ProfileRead,
    summary="Replace a clinician's directory profile (the clinician or an admin)",
    responses=error_responses(401, 403, 404, 422),
)
def put_profile(
    clinician_id: uuid.UUID, data: ProfileUpdate, user: CurrentUser, session: SessionDep
) -> ProfileRead:
    return _profile(directory.update_profile(session, user, clinician_id, data))


@router.get(
    "/external-services",
    response_model=list[ExternalServiceRead],
    summary="Outside services the clinic refers patients on to (clinic staff)",
    responses=error_responses(401, 403),
)
def list_services(
    user: CurrentStaff, session: SessionDep, include_retired: bool = False
) -> list[ExternalServiceRead]:
    return [
        ExternalServiceRead.model_validate(s)
        for s in directory.list_services(session, user, include_retired=include_retired)
    ]


@router.post(
    "/external-services",
    response_model=ExternalServiceRead,
    status_code=201,
    summary="Add an outside service (admin)",
    responses=error_responses(401, 403, 422),
)
def create_service(
    data: ExternalServiceCreate, admin: CurrentAdmin, session: SessionDep
) -> ExternalServiceRead:
    return ExternalServiceRead.model_validate(directory.create_service(session, admin, data))


@router.patch(
    "/external-services/{service_id}",
    response_model=ExternalServiceRead,
    summary="Change or retire an outside service (admin)",
    responses=error_responses(401, 403, 404, 422),
)
def update_service(
    service_id: uuid.UUID, data: ExternalServiceUpdate, admin: CurrentAdmin, session: SessionDep
) -> ExternalServiceRead:
    return ExternalServiceRead.model_validate(directory.update_service(session, admin, service_id, data))
