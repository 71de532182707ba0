"""Referrals in: the public form's submission, the front desk's triage (accept or decline), and the outcome mail.

A physician refers a patient without an account. The front desk reads new referrals, then accepts one (opening
the patient's account, or linking the record they already have, and assigning a care team) or declines it
with a reason kept in the record. The referrer is told the outcome by email in one sentence: accepted or
declined, with the referral's reference and the clinic's phone number, nothing clinical. An accepted referrer
becomes the patient's referring doctor in their record; letters about the patient go to them only once the
patient agrees.

Every read of a referral is audited; once it names a patient, the audit row carries the patient too, like any
other read of their record.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath, PureWindowsPath

from pydantic import ValidationError
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload, undefer

from painrewire.accounts import audit, ratelimit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import new_token
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.notifications.models import Category
from painrewire.notifications.service import enqueue_email
from painrewire.patients import access
from painrewire.patients import service as patients
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.patients.schemas import PatientCreate
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from painrewire.referrals.models import Referral, ReferralStatus, Urgency
from painrewire.referrals.schemas import NextStep, ReferralAccept, ReferralCreate, ReferralDecline
from painrewire.scheduling import service as scheduling

logger = logging.getLogger(__name__)

RESOURCE = "referral"
#: Why the front desk opens a referral that names a patient (kept in the audit row).
TRIAGE_REASON = "referral triage"
#: The appointment an accepted referral leads to.
FIRST_APPOINTMENT = "initial_assessment"
MAX_FILENAME = 200
MB = 1024 * 1024


class LetterRefused(InvalidInput):
    """The attached letter is not a PDF we can open, or is too large."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="letter")


def size_words(n: int) -> str:
    """A file size as people read it: "7.2 MB", "5 MB", "300 KB" (a megabyte of 1,048,576 bytes, as most
    computers count a file's size)."""
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(n / 1024))} KB"


def check_letter(content: bytes, *, max_bytes: int, size: int | None = None) -> int:
    """Refuse what is not a PDF that opens, or is larger than ``max_bytes``; return its number of pages.

    ``size`` is the upload's full size when only its first ``max_bytes + 1`` bytes were read. The type is
    judged from the content, never from the file's name or the browser's word: a PDF starts with ``%PDF-``
    and pypdf must be able to read its pages.
    """
    total = max(len(content), size or 0)
    if total > max_bytes:
        raise LetterRefused(f"The letter is {size_words(total)}; the limit is {size_words(max_bytes)}.")
    if total == 0:
        raise LetterRefused("The letter file is empty. Attach the letter as a PDF, or leave the field blank.")
    if not content.startswith(b"%PDF-"):
        raise LetterRefused(
            "The letter must be a PDF file, and this file is not one. Save the letter as PDF."
        )
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LetterRefused("The letter is protected by a password. Please attach it without one.")
        pages = len(reader.pages)
    except LetterRefused:
        raise
    except Exception as exc:  # any failure to parse untrusted input means the same to the person
        logger.info("referral letter refused: %s", type(exc).__name__)
        raise LetterRefused("The letter could not be opened as a PDF; it may be damaged.") from exc
    if pages == 0:
        raise LetterRefused("The letter has no pages.")
    return pages


def _filename(name: str | None) -> str:
    """The file's own name without any folder a browser sent, shortened to fit."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip() or "letter.pdf"
    return base[-MAX_FILENAME:]


@dataclass(frozen=True)
class Letter:
    content: bytes
    filename: str | None
    #: The upload's full size, when only part was read.
    size: int | None = None


def submit_referral(
    session: Session,
    settings: Settings,
    data: ReferralCreate,
    *,
    letter: Letter | None,
    client: str | None,
) -> Referral:
    """A physician's referral from the public form: limited per client address like sign-ups, letter checked."""
    if client:
        ratelimit.consume(
            session,
            f"referral:{client}",
            limit=settings.referrals_per_client,
            window=timedelta(minutes=settings.referral_window_minutes),
            message="Too many referrals were sent from your network.",
        )
    pages = (
        check_letter(letter.content, max_bytes=settings.referral_letter_max_bytes, size=letter.size)
        if letter is not None
        else None
    )
    referral = Referral(
        id=uuid.uuid4(),
        status=ReferralStatus.NEW,
        urgency=data.urgency,
        referrer_name=data.referrer_name,
        referrer_organisation=data.referrer_organisation,
        referrer_email=str(data.referrer_email),
        referrer_phone=data.referrer_phone,
        patient_name=data.patient_name,
        patient_date_of_birth=data.patient_date_of_birth,
        patient_email=data.patient_email,
        patient_phone=data.patient_phone,
        reason=data.reason,
        excluded=[c.value for c in data.excluded],
        excluded_other=data.excluded_other,
    )
    if letter is not None:
        referral.letter = letter.content
        referral.letter_filename = _filename(letter.filename)
        referral.letter_size = len(letter.content)
        referral.letter_pages = pages
        referral.letter_sha256 = hashlib.sha256(letter.content).hexdigest()
    session.add(referral)
    session.flush()
    audit.record(session, None, AuditAction.CREATE, RESOURCE, resource_id=referral.id)
    return referral


# --- triage -----------------------------------------------------------------------------------------------


def _check_admin(actor: User) -> None:
    access.require_role(actor, Role.ADMIN, message="Referrals are triaged by the front desk.")


def list_referrals(session: Session, actor: User, *, status: ReferralStatus | None = None) -> list[Referral]:
    """New referrals first (the soon ones first, then the oldest); decided ones newest first."""
    _check_admin(actor)
    stmt = select(Referral).order_by(
        case((Referral.status == ReferralStatus.NEW, 0), else_=1),
        case(
            (and_(Referral.status == ReferralStatus.NEW, Referral.urgency == Urgency.SOON), 0),
            else_=1,
        ),
        case((Referral.status == ReferralStatus.NEW, Referral.created_at), else_=None),
        Referral.decided_at.desc(),
    )
    if status is not None:
        stmt = stmt.where(Referral.status == status)
    found = list(session.scalars(stmt.limit(200)))
    linked = [r.patient_id for r in found if r.patient_id is not None]
    audit.record_shown(session, actor, "referral", linked, reason=TRIAGE_REASON)  # a patient's, once linked
    return found


def count_new(session: Session, actor: User) -> tuple[int, int]:
    """How many referrals wait for triage, and how many of them the referrer marked soon."""
    _check_admin(actor)
    row = session.execute(
        select(
            func.count(),
            func.count(case((Referral.urgency == Urgency.SOON, 1))),
        ).where(Referral.status == ReferralStatus.NEW)
    ).one()
    return int(row[0]), int(row[1])


def _load(session: Session, referral_id: uuid.UUID, *, lock: bool = False, letter: bool = False) -> Referral:
    stmt = select(Referral).where(Referral.id == referral_id).options(joinedload(Referral.decided_by))
    if letter:
        stmt = stmt.options(undefer(Referral.letter))
    if lock:
        stmt = stmt.with_for_update(of=Referral)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound("No such referral.")
    return found


def _audit_read(session: Session, actor: User, referral: Referral, action: AuditAction, what: str) -> None:
    if referral.patient_id is not None:
        access.patient_for(
            session,
            actor,
            referral.patient_id,
            action=action,
            resource_type=what,
            resource_id=referral.id,
            reason=TRIAGE_REASON,
        )
    else:
        audit.record(session, actor, action, what, resource_id=referral.id, reason=TRIAGE_REASON)


def get_referral(session: Session, actor: User, referral_id: uuid.UUID) -> Referral:
    """One referral for the front desk (audited, with the patient once there is one)."""
    _check_admin(actor)
    referral = _load(session, referral_id)
    _audit_read(session, actor, referral, AuditAction.READ, RESOURCE)
    return referral


def referral_letter(session: Session, actor: User, referral_id: uuid.UUID) -> tuple[Referral, bytes]:
    """The physician's letter, as they sent it (audited as an export)."""
    _check_admin(actor)
    referral = _load(session, referral_id, letter=True)
    if referral.letter is None:
        raise NotFound("This referral came without a letter.")
    _audit_read(session, actor, referral, AuditAction.EXPORT, "referral_letter")
    return referral, referral.letter


def matching_patients(session: Session, actor: User, referral: Referral) -> list[Patient]:
    """Records that may be this patient already: the same email, or the same name and date of birth."""
    _check_admin(actor)
    same_person = and_(
        Patient.date_of_birth == referral.patient_date_of_birth,
        func.lower(User.full_name) == referral.patient_name.lower(),
    )
    conditions = [same_person]
    if referral.patient_email:
        conditions.append(func.lower(User.email) == referral.patient_email.lower())
    stmt = (
        select(Patient)
        .join(User, User.id == Patient.user_id)
        .where(or_(*conditions), User.is_active.is_(True))
        .options(joinedload(Patient.user))
        .order_by(User.full_name)
        .limit(10)
    )
    return list(session.scalars(stmt).unique())


def _check_new(referral: Referral) -> None:
    if referral.status != ReferralStatus.NEW:
        when = referral.decided_at.strftime("%d %B %Y") if referral.decided_at else "earlier"
        raise Conflict(f"This referral was already {referral.status.label.lower()} on {when}.")


def _sent_on(referral: Referral, settings: Settings) -> str:
    return referral.created_at.astimezone(settings.zone).strftime("%d %B %Y").lstrip("0")


def _tell_referrer(session: Session, settings: Settings, referral: Referral) -> None:
    """One email to the referrer: the outcome and the reference, nothing clinical (not even the patient's name)."""
    sent = _sent_on(referral, settings)
    if referral.status == ReferralStatus.ACCEPTED:
        subject = f"Your referral {referral.reference} to {settings.clinic_name}: accepted"
        body = (
            f"Thank you for your referral sent on {sent} (reference {referral.reference}). We have accepted it "
            "and will contact the patient to arrange their first appointment.\n\n"
            f"If you have questions, call the clinic on {settings.clinic_phone} and quote the reference."
        )
    else:
        subject = f"Your referral {referral.reference} to {settings.clinic_name}: declined"
        body = (
            f"Thank you for your referral sent on {sent} (reference {referral.reference}). We are not able to "
            "accept it.\n\n"
            f"Please call the clinic on {settings.clinic_phone} to discuss it, and quote the reference."
        )
    enqueue_email(
        session,
        kind="referral_outcome",
        category=Category.CLINICAL,
        dedupe_key=f"referral-outcome:{referral.id}",
        subject=subject,
        body=body,
        link_path="/refer",
        to_address=referral.referrer_email,
    )


def _ask_patient_to_book(
    session: Session, settings: Settings, patient: Patient, *, new_account: bool
) -> None:
    if new_account:
        body = (
            f"Your physician has referred you to {settings.clinic_name}, and we have opened an account for you "
            "with this email address.\n\n"
            "To book your first appointment online, first choose a password: open the link below, then book "
            f"an initial assessment. Or call us on {settings.clinic_phone}."
        )
        link = "/forgot-password"
    else:
        body = (
            f"Your physician has referred you to {settings.clinic_name}. Please log in and book an initial "
            f"assessment, or call us on {settings.clinic_phone}."
        )
        link = f"/book?type={FIRST_APPOINTMENT}"
    enqueue_email(
        session,
        kind="referral_invite",
        category=Category.CLINICAL,
        dedupe_key=f"referral-invite:{patient.id}:{utcnow().date().isoformat()}",
        subject=f"{settings.clinic_name}: please book your first appointment",
        body=body,
        link_path=link,
        recipient=patient.user,
    )


def _clinicians(session: Session, ids: list[uuid.UUID]) -> list[User]:
    found = []
    for clinician_id in dict.fromkeys(ids):
        user = session.get(User, clinician_id)
        if user is None or user.role != Role.CLINICIAN or not user.is_active:
            raise InvalidInput("care team: choose clinicians from the list.", field="care_team")
        found.append(user)
    return found


def _keep_referrer(session: Session, actor: User, patient: Patient, referral: Referral) -> None:
    """The referrer becomes the patient's referring doctor in their record, without agreement to letters yet:
    the patient says whether the clinic may write to them (the care team records it)."""
    phone = referral.referrer_phone
    try:
        details = PhysicianSave(
            name=referral.referrer_name,
            practice=referral.referrer_organisation,
            phone=phone,
            email=referral.referrer_email,
            share_letters=False,
        )
    except ValidationError:  # a phone number written as words: keep the rest
        details = PhysicianSave(
            name=referral.referrer_name,
            practice=referral.referrer_organisation,
            email=referral.referrer_email,
            share_letters=False,
        )
    physicians.save_physician_for(session, actor, patient, PhysicianRole.REFERRING, details)


@dataclass(frozen=True)
class Acceptance:
    referral: Referral
    patient: Patient
    new_account: bool


def accept_referral(
    session: Session, actor: User, settings: Settings, referral_id: uuid.UUID, data: ReferralAccept
) -> Acceptance:
    """Accept: open the patient's account (or link their record), assign the care team, tell the referrer."""
    _check_admin(actor)
    referral = _load(session, referral_id, lock=True)
    _check_new(referral)
    team = _clinicians(session, data.care_team)
    new_account = data.patient_id is None
    if data.patient_id is not None:
        patient = access.patient_for(
            session,
            actor,
            data.patient_id,
            action=AuditAction.UPDATE,
            resource_type="care_team",
            reason=TRIAGE_REASON,
        )
        on_team = {
            m
            for m in session.scalars(
                select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient.id)
            )
        }
        for clinician in team:
            if clinician.id not in on_team:
                session.add(
                    CareTeamMember(patient_id=patient.id, clinician_id=clinician.id, added_by_id=actor.id)
                )
    else:
        try:
            with session.begin_nested():
                patient = patients.create_patient(
                    session,
                    actor,
                    PatientCreate(
                        email=str(data.email),
                        full_name=data.full_name or referral.patient_name,
                        password=new_token(),  # nobody knows it: the patient chooses theirs by reset link
                        date_of_birth=data.date_of_birth or referral.patient_date_of_birth,
                        phone=data.phone or referral.patient_phone or None,
                        care_team=[c.id for c in team],
                    ),
                    clinic_timezone=settings.clinic_timezone,
                )
        except Conflict as exc:
            raise Conflict(
                f"{exc.message} If it is this patient's, choose their existing record to link the referral to it."
            ) from exc
    _keep_referrer(session, actor, patient, referral)
    referral.patient_id = patient.id
    referral.status = ReferralStatus.ACCEPTED
    referral.decided_at = utcnow()
    referral.decided_by_id = actor.id
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, RESOURCE, resource_id=referral.id, patient_id=patient.id)
    _tell_referrer(session, settings, referral)
    if data.next_step == NextStep.ASK:
        _ask_patient_to_book(session, settings, patient, new_account=new_account)
    return Acceptance(referral, patient, new_account)


def decline_referral(
    session: Session, actor: User, settings: Settings, referral_id: uuid.UUID, data: ReferralDecline
) -> Referral:
    """Decline with a reason kept in the record; the referrer is told it was declined (not the reason)."""
    _check_admin(actor)
    referral = _load(session, referral_id, lock=True)
    _check_new(referral)
    referral.status = ReferralStatus.DECLINED
    referral.decline_reason = data.reason
    referral.decided_at = utcnow()
    referral.decided_by_id = actor.id
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, RESOURCE, resource_id=referral.id)
    _tell_referrer(session, settings, referral)
    return referral


# --- booking the first assessment -------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstSlots:
    referral: Referral
    patient: Patient
    result: scheduling.SearchResult
    clinician_id: uuid.UUID | None


def first_slots(
    session: Session,
    actor: User,
    settings: Settings,
    referral_id: uuid.UUID,
    *,
    days: int = 14,
    now: datetime | None = None,
) -> FirstSlots:
    """Free initial-assessment times for an accepted referral's patient: with a pain specialist of the care team
    when there is one, else with anyone who offers it."""
    _check_admin(actor)
    referral = _load(session, referral_id)
    if referral.patient_id is None or referral.status != ReferralStatus.ACCEPTED:
        raise Conflict("Accept the referral first; then book the first assessment.")
    patient = access.patient_for(
        session, actor, referral.patient_id, resource_type="appointment", reason=scheduling.FRONT_DESK_REASON
    )
    kind = scheduling.appointment_type(FIRST_APPOINTMENT)
    team = set(
        session.scalars(
            select(CareTeamMember.clinician_id)
            .join(User, User.id == CareTeamMember.clinician_id)
            .where(CareTeamMember.patient_id == patient.id, User.discipline.in_(kind.disciplines))
        )
    )
    offered = {
        c.id
        for c in scheduling.bookable_clinicians(
            session, kind, clinic_zone=settings.clinic_timezone, online_only=False
        )
    }
    chosen = next(iter(sorted(team & offered)), None)
    start = now or utcnow()
    result = scheduling.find_slots(
        session,
        type_key=kind.key,
        start=start,
        end=start + timedelta(days=days),
        clinic_zone=settings.clinic_timezone,
        clinician_id=chosen,
        patient_id=patient.id,
        staff=True,
        now=start,
    )
    return FirstSlots(referral, patient, result, chosen)


def book_first(
    session: Session,
    actor: User,
    settings: Settings,
    referral_id: uuid.UUID,
    *,
    clinician_id: uuid.UUID,
    starts_at: datetime,
) -> scheduling.Booking:
    """The front desk books the accepted referral's initial assessment at a free time."""
    _check_admin(actor)
    referral = _load(session, referral_id)
    if referral.patient_id is None or referral.status != ReferralStatus.ACCEPTED:
        raise Conflict("Accept the referral first; then book the first assessment.")
    return scheduling.book(
        session,
        actor,
        settings,
        type_key=FIRST_APPOINTMENT,
        clinician_id=clinician_id,
        starts_at=starts_at,
        patient_id=referral.patient_id,
    )
