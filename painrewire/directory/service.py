"""Clinician profiles, the public directory with each clinician's next free time, and the outside services list.

The directory is public: it shows only what clinicians publish in their profile, their discipline, and when
they are next free (from the booking search, one search per appointment type shown rather than one per
clinician, so the page costs the same few queries however many clinicians the clinic has).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.db import utcnow
from painrewire.directory.models import ClinicianProfile, ExternalService, Modality
from painrewire.directory.schemas import ExternalServiceCreate, ExternalServiceUpdate, ProfileUpdate
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue

#: How far ahead the directory looks for each clinician's next free time.
SEARCH_DAYS = 28


# --- profiles ---------------------------------------------------------------------------------------------


def _clinician(session: Session, clinician_id: uuid.UUID) -> User:
    user = session.get(User, clinician_id)
    if user is None or user.role != Role.CLINICIAN:
        raise NotFound("No such clinician.")
    return user


def _check_may_edit(actor: User, clinician_id: uuid.UUID) -> None:
    if actor.role == Role.ADMIN or (actor.role == Role.CLINICIAN and actor.id == clinician_id):
        return
    if actor.role == Role.CLINICIAN:
        raise Forbidden("Clinicians edit their own profile; the front desk can edit anyone's.")
    raise Forbidden("Only clinic staff edit profiles.")


def get_profile(session: Session, actor: User, clinician_id: uuid.UUID) -> tuple[User, ClinicianProfile]:
    """A clinician's profile for editing (by them or an admin); an empty one if none was saved yet."""
    _check_may_edit(actor, clinician_id)
    clinician = _clinician(session, clinician_id)
    profile = session.get(ClinicianProfile, clinician_id)
    if profile is None:
        profile = ClinicianProfile(
            clinician_id=clinician_id, qualifications="", languages=[], modalities=[], bio="", listed=True
        )
    return clinician, profile


def update_profile(
    session: Session, actor: User, clinician_id: uuid.UUID, data: ProfileUpdate
) -> ClinicianProfile:
    """Save what the directory shows of a clinician (the clinician themself, or an admin)."""
    _check_may_edit(actor, clinician_id)
    _clinician(session, clinician_id)
    profile = session.get(ClinicianProfile, clinician_id)
    if profile is None:
        if not (data.qualifications or data.languages or data.modalities or data.bio):
            raise InvalidInput(
                "Nothing to save yet: add qualifications, languages, what you offer or a short profile.",
                field="bio",
            )
        profile = ClinicianProfile(clinician_id=clinician_id)
        session.add(profile)
    profile.qualifications = data.qualifications
    profile.languages = list(data.languages)
    profile.modalities = [m.value for m in data.modalities]
    profile.bio = data.bio
    profile.listed = data.listed
    profile.updated_at = utcnow()
    profile.updated_by_id = actor.id
    session.flush()
    return profile


# --- the public directory ---------------------------------------------------------------------------------


def entry_type(discipline: str) -> AppointmentType | None:
    """The appointment a directory entry offers: the first a new patient may book with this discipline, else
    the one most specific to it (a neurofeedback session, for patients already in care)."""
    types = catalogue().for_discipline(discipline)
    public = [t for t in types if t.new_patients]
    pool = public or types
    if not pool:
        return None
    return min(pool, key=lambda t: len(t.disciplines))


@dataclass(frozen=True)
class NextTime:
    kind: AppointmentType
    starts_at: datetime | None
    mode: str | None
    book_href: str


@dataclass(frozen=True)
class DirectoryEntry:
    clinician_id: uuid.UUID
    full_name: str
    discipline: Discipline
    qualifications: str
    languages: list[str]
    modalities: list[Modality]
    bio: str
    next_time: NextTime | None


@dataclass(frozen=True)
class Directory:
    entries: list[DirectoryEntry]
    #: Every language some listed clinician speaks, for the filter.
    languages: list[str]
    search_days: int


def _book_href(kind: AppointmentType, clinician_id: uuid.UUID) -> str:
    if kind.new_patients:
        return "/book?" + urlencode({"type": kind.key, "clinician": str(clinician_id)})
    return "/book?" + urlencode({"clinician": str(clinician_id)})


def modalities_of(values: list[str]) -> list[Modality]:
    known = {m.value for m in Modality}
    return [Modality(v) for v in values if v in known]


def _first_free(
    session: Session, kind: AppointmentType, clinic_zone: str, now: datetime
) -> dict[uuid.UUID, scheduling.Slot]:
    """Each bookable clinician's earliest free time of this type in the search window: one search for all."""
    result = scheduling.find_slots(
        session,
        type_key=kind.key,
        start=now,
        end=now + timedelta(days=SEARCH_DAYS),
        clinic_zone=clinic_zone,
        every_clinician=True,
        now=now,
    )
    first: dict[uuid.UUID, scheduling.Slot] = {}
    for slot in result.slots:
        first.setdefault(slot.clinician_id, slot)
    return first


def directory(
    session: Session,
    *,
    clinic_zone: str,
    discipline: Discipline | None = None,
    language: str | None = None,
    modality: Modality | None = None,
    now: datetime | None = None,
) -> Directory:
    """Listed, active clinicians matching the filters, by discipline then name, each with their next free time."""
    now = now or utcnow()
    rows = session.execute(
        select(User, ClinicianProfile)
        .outerjoin(ClinicianProfile, ClinicianProfile.clinician_id == User.id)
        .where(
            User.role == Role.CLINICIAN,
            User.is_active.is_(True),
            or_(ClinicianProfile.listed.is_(None), ClinicianProfile.listed.is_(True)),
        )
        .order_by(User.full_name)
    ).all()
    order = {d: i for i, d in enumerate(Discipline)}
    everyone = sorted(
        ((user, profile) for user, profile in rows if user.discipline is not None),
        key=lambda row: (order[Discipline(str(row[0].discipline))], row[0].full_name),
    )
    languages = sorted({lang for _, p in everyone if p for lang in p.languages}, key=str.casefold)
    wanted_language = language.strip().casefold() if language and language.strip() else None
    chosen = []
    for user, profile in everyone:
        spoken = {lang.casefold() for lang in profile.languages} if profile else set()
        offered = set(profile.modalities) if profile else set()
        if discipline is not None and user.discipline != discipline:
            continue
        if wanted_language is not None and wanted_language not in spoken:
            continue
        if modality is not None and modality.value not in offered:
            continue
        chosen.append((user, profile))
    kinds = {str(user.discipline): entry_type(str(user.discipline)) for user, _ in chosen}
    free: dict[str, dict[uuid.UUID, scheduling.Slot]] = {
        kind.key: _first_free(session, kind, clinic_zone, now)
        for kind in {k.key: k for k in kinds.values() if k is not None}.values()
    }
    entries = []
    for user, profile in chosen:
        kind = kinds[str(user.discipline)]
        next_time = None
        if kind is not None:
            slot = free[kind.key].get(user.id)
            next_time = NextTime(
                kind,
                slot.starts_at if slot else None,
                slot.mode if slot else None,
                _book_href(kind, user.id),
            )
        entries.append(
            DirectoryEntry(
                clinician_id=user.id,
                full_name=user.full_name,
                discipline=Discipline(str(user.discipline)),
                qualifications=profile.qualifications if profile else "",
                languages=list(profile.languages) if profile else [],
                modalities=modalities_of(profile.modalities) if profile else [],
                bio=profile.bio if profile else "",
                next_time=next_time,
            )
        )
    return Directory(entries=entries, languages=languages, search_days=SEARCH_DAYS)


def parse_discipline(value: str | None) -> Discipline | None:
    if not value or value == "any":
        return None
    try:
        return Discipline(value)
    except ValueError as exc:
        raise InvalidInput("discipline: choose one from the list.", field="discipline") from exc


def parse_modality(value: str | None) -> Modality | None:
    if not value or value == "any":
        return None
    try:
        return Modality(value)
    except ValueError as exc:
        raise InvalidInput("modality: choose one from the list.", field="modality") from exc


# --- outside services -------------------------------------------------------------------------------------


def _check_staff(actor: User) -> None:
    access.require_role(
        actor, Role.CLINICIAN, Role.ADMIN, message="The list of outside services is for clinic staff."
    )


def _check_admin(actor: User) -> None:
    access.require_role(actor, Role.ADMIN, message="The front desk keeps the list of outside services.")


def list_services(session: Session, actor: User, *, include_retired: bool = False) -> list[ExternalService]:
    """The outside services a clinician may refer a patient on to, by kind and name."""
    _check_staff(actor)
    stmt = select(ExternalService).order_by(ExternalService.kind, ExternalService.name)
    if not include_retired:
        stmt = stmt.where(ExternalService.active.is_(True))
    return list(session.scalars(stmt))


def get_service(session: Session, actor: User, service_id: uuid.UUID) -> ExternalService:
    _check_staff(actor)
    found = session.get(ExternalService, service_id)
    if found is None:
        raise NotFound("No such outside service.")
    return found


def create_service(session: Session, actor: User, data: ExternalServiceCreate) -> ExternalService:
    """The front desk adds an outside service to the clinic's list."""
    _check_admin(actor)
    found = ExternalService(
        name=data.name,
        kind=data.kind,
        contact=data.contact,
        email=data.email,
        notes=data.notes,
        active=True,
        created_by_id=actor.id,
    )
    session.add(found)
    session.flush()
    return found


def update_service(
    session: Session, actor: User, service_id: uuid.UUID, data: ExternalServiceUpdate
) -> ExternalService:
    """Change an outside service's details, or retire it (kept for the letters already sent to it)."""
    _check_admin(actor)
    found = get_service(session, actor, service_id)
    if data.name is not None and not data.name.strip():
        raise InvalidInput("name must not be blank.", field="name")
    for field in ("name", "kind", "contact", "email", "notes", "active"):
        value = getattr(data, field)
        if value is not None:
            setattr(found, field, value.strip() if isinstance(value, str) else value)
    session.flush()
    return found
