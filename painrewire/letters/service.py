"""Letters out: a clinician writes to the patient's physician, or refers the patient on to an outside service.

The letter is filled from the record (the assessment, the clearance for practice, the signed plan, the
outcomes so far) by a Jinja template per kind that the clinic may edit (``web/templates/letters/kinds/``, or
its own folder ``letter_template_dir``), previewed, then made once into HTML and a PDF that are kept as made.
Sending is recorded on the letter. By email, the recipient gets a link that expires, never the PDF itself:
the outbox carries no attachments and mail holds no health content, a link can be withdrawn (sending again
replaces it), every download is audited, and the recipient must give the patient's date of birth, so a
forwarded or misdirected email alone does not open the letter.

A letter to one of the patient's doctors goes to the details in their record (``painrewire.physicians``), and
only while the patient agrees that the clinic may write to that doctor: without it, writing or sending the
letter is refused (409) in words saying so. Every read, export and change is audited through
``access.patient_for``; a clinician off the care team gets 404.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from painrewire.accounts import audit, ratelimit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import new_token, token_digest
from painrewire.assessments.models import Intake
from painrewire.assessments.service import latest_intake_for
from painrewire.clearance import service as clearances
from painrewire.clearance.models import Cause, Clearance, Finding
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.diary.outcomes import PatientOutcome
from painrewire.diary.progress import progress_for
from painrewire.directory import service as directory
from painrewire.directory.models import ClinicianProfile, ExternalService
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.letters.models import DeliveryMethod, Letter, LetterKind, RecipientKind
from painrewire.letters.schemas import LetterCreate
from painrewire.notifications.models import Category
from painrewire.notifications.service import enqueue_email
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PatientPhysician, PhysicianRole
from painrewire.plans import service as plans
from painrewire.practice.models import Module
from painrewire.referrals.models import Referral, ReferralStatus
from painrewire.reports import records
from painrewire.reports.service import InstrumentScores, instrument_scores

RESOURCE = "letter"
TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
STYLESHEET = Path(__file__).with_name("static") / "letter.css"
#: Wrong dates of birth one emailed link takes before it must wait.
LINK_ATTEMPTS = 5
LINK_ATTEMPT_WINDOW = timedelta(hours=1)

ONSET_WORDS = {
    "injury": "after an injury",
    "gradual": "gradually",
    "stress": "at a time of stress",
    "unknown": "without a clear start",
}
LOCATION_WORDS = {
    "lower_back": "lower back",
    "upper_back": "upper back",
    "whole_back": "whole back",
    "neck_and_back": "neck and back",
}


# --- what the letter says, from the record ----------------------------------------------------------------


def duration_words(weeks: int) -> str:
    """How long pain has lasted, as a letter says it: "3 weeks", "about 5 months", "about 2 years"."""
    if weeks < 8:
        return f"{weeks} week{'' if weeks == 1 else 's'}"
    if weeks < 104:
        months = round(weeks * 7 / 30.44)
        return f"about {months} months"
    years = round(weeks / 52.18)
    return f"about {years} years"


@dataclass(frozen=True)
class AssessmentFacts:
    """The initial assessment in words."""

    assessed_on: date
    duration: str
    onset: str
    location: str
    leg_pain: bool
    average_pain: int
    goals: str
    previous_treatments: str


@dataclass(frozen=True)
class CauseLine:
    label: str
    finding: str
    note: str


@dataclass(frozen=True)
class ClearanceFacts:
    cleared_on: date
    cleared_by: str
    causes: list[CauseLine]
    modules: list[str]
    note: str


@dataclass(frozen=True)
class LetterFacts:
    """Everything a letter template may use. Templates read attributes of this and of ``letter``."""

    clinic_name: str
    clinic_phone: str
    today: date
    author_name: str
    author_role: str
    author_qualifications: str
    patient_name: str
    date_of_birth: date | None
    recipient_name: str
    recipient_address: list[str]
    kind: LetterKind
    reason: str
    note: str
    service: ExternalService | None
    referral: Referral | None
    assessment: AssessmentFacts | None
    clearance: ClearanceFacts | None
    plan: records.PlanSummary | None
    outcome: PatientOutcome
    instruments: list[InstrumentScores]

    @property
    def salutation(self) -> str:
        return f"Dear {self.recipient_name}" if self.recipient_name else "Dear colleague"


def _assessment(intake: Intake | None, zone: str) -> AssessmentFacts | None:
    if intake is None:
        return None
    return AssessmentFacts(
        assessed_on=intake.created_at.astimezone(ZoneInfo(zone)).date(),
        duration=duration_words(intake.pain_duration_weeks),
        onset=ONSET_WORDS.get(intake.onset, intake.onset.replace("_", " ")),
        location=LOCATION_WORDS.get(intake.pain_location, intake.pain_location.replace("_", " ")),
        leg_pain=intake.leg_pain,
        average_pain=intake.average_pain_last_week,
        goals=intake.goals.strip(),
        previous_treatments=intake.previous_treatments.strip(),
    )


def _label(enum_type: Any, value: str) -> str:
    try:
        return str(enum_type(value).label)
    except ValueError:
        return value.replace("_", " ")


def _clearance(session: Session, clearance: Clearance | None, zone: str) -> ClearanceFacts | None:
    if clearance is None:
        return None
    by = session.get(User, clearance.cleared_by_id) if clearance.cleared_by_id else None
    lines = []
    for cause in Cause:
        entry = clearance.causes.get(cause.value)
        if not entry:
            continue
        label = cause.label
        if cause == Cause.OTHER and entry.get("text"):
            label = f"{label}: {entry['text']}"
        lines.append(
            CauseLine(label, _label(Finding, str(entry.get("finding", ""))), str(entry.get("note", "")))
        )
    return ClearanceFacts(
        cleared_on=clearance.cleared_at.astimezone(ZoneInfo(zone)).date(),
        cleared_by=by.full_name if by else "a clinician",
        causes=lines,
        modules=[_label(Module, m) for m in clearance.modules],
        note=clearance.note.strip(),
    )


def _referral_of(session: Session, patient: Patient) -> Referral | None:
    """The accepted referral that brought this patient to the clinic, if one did (the newest)."""
    return session.scalar(
        select(Referral)
        .where(Referral.patient_id == patient.id, Referral.status == ReferralStatus.ACCEPTED)
        .order_by(Referral.created_at.desc())
        .limit(1)
    )


def _facts(
    session: Session,
    settings: Settings,
    author: User,
    patient: Patient,
    *,
    kind: LetterKind,
    recipient_name: str,
    recipient_address: str,
    reason: str,
    note: str,
    service: ExternalService | None,
    now: datetime,
) -> LetterFacts:
    zone = settings.clinic_timezone
    profile = session.get(ClinicianProfile, author.id)
    version = plans.signed_plan(session, patient)
    today = patient.local_today(now)
    return LetterFacts(
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        today=now.astimezone(settings.zone).date(),
        author_name=author.full_name,
        author_role=author.discipline_label,
        author_qualifications=profile.qualifications if profile else "",
        patient_name=patient.user.full_name,
        date_of_birth=patient.date_of_birth,
        recipient_name=recipient_name,
        recipient_address=[line.strip() for line in recipient_address.splitlines() if line.strip()],
        kind=kind,
        reason=reason,
        note=note,
        service=service,
        referral=_referral_of(session, patient),
        assessment=_assessment(latest_intake_for(session, patient), zone),
        clearance=_clearance(session, clearances.current_for(session, patient), zone),
        plan=records.plan_summary(version, for_patient=False) if version else None,
        outcome=progress_for(session, patient, today=today).outcome,
        instruments=instrument_scores(session, patient),
    )


# --- templates and PDF ------------------------------------------------------------------------------------


def _paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs (blank lines part them; single line breaks are kept)."""
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n"))) for p in parts
    )


@lru_cache(maxsize=4)
def _environment(clinic_dir: str | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if clinic_dir:
        loaders.append(jinja2.PrefixLoader({"clinic": jinja2.FileSystemLoader(clinic_dir)}))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(("html",)),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["paragraphs"] = _paragraphs
    env.filters["long_date"] = lambda d: f"{d.day} {d:%B %Y}" if d else ""
    return env


def kind_template(settings: Settings, kind: LetterKind) -> jinja2.Template:
    """The template of one kind of letter: the clinic's own when its folder has one, else the shipped one."""
    env = _environment(str(settings.letter_template_dir) if settings.letter_template_dir else None)
    names = [f"letters/kinds/{kind.value}.html"]
    if settings.letter_template_dir:
        names.insert(0, f"clinic/{kind.value}.html")
    return env.select_template(names)


def subject_for(kind: LetterKind, patient: Patient, service: ExternalService | None) -> str:
    name = patient.user.full_name
    born = (
        f", born {patient.date_of_birth.day} {patient.date_of_birth:%B %Y}" if patient.date_of_birth else ""
    )
    what = {
        LetterKind.INITIAL_ASSESSMENT: "Initial assessment",
        LetterKind.PROGRESS: "Progress update",
        LetterKind.DISCHARGE: "Discharge summary",
        LetterKind.ONWARD_REFERRAL: f"Referral to {service.name}" if service else "Referral",
    }[kind]
    return f"{what}: {name}{born}"[:300]


def render_letter(settings: Settings, facts: LetterFacts, subject: str) -> str:
    """The letter as an HTML fragment: letterhead, addresses, the kind's text, the signature."""
    return kind_template(settings, facts.kind).render(letter=facts, subject=subject)


def render_pdf(body_html: str, *, title: str) -> bytes:
    """The letter as PDF bytes (A4), from the fragment kept with the letter."""
    from weasyprint import CSS, HTML

    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><meta name="generator" content="PainRewire"></head>'
        f"<body>{body_html}</body></html>"
    )
    pdf: bytes = HTML(string=document, base_url=str(TEMPLATES)).write_pdf(
        stylesheets=[CSS(filename=str(STYLESHEET))]
    )
    return pdf


# --- writing a letter -------------------------------------------------------------------------------------


def _check_clinician(actor: User) -> None:
    if actor.role != Role.CLINICIAN:
        raise NotFound(access.NOT_FOUND_MESSAGE)


def _service(session: Session, service_id: uuid.UUID | None) -> ExternalService | None:
    if service_id is None:
        return None
    found = session.get(ExternalService, service_id)
    if found is None or not found.active:
        raise InvalidInput(
            "service: choose an outside service from the clinic's list.", field="external_service_id"
        )
    return found


def physician_for(session: Session, patient: Patient, role: PhysicianRole) -> PatientPhysician:
    """The patient's doctor of ``role`` as their record holds it now, if the patient agreed to letters to them.

    Refuses in words: 422 when the record has no such doctor, 409 when the patient has not agreed (or no
    longer agrees) that the clinic writes to them.
    """
    current = physicians.current_of(session, patient).get(role)
    if current is None:
        raise InvalidInput(
            f"recipient: {patient.user.full_name}'s record has no {role.label} yet. Add their doctor's "
            "details first.",
            field="physician_role",
        )
    if not current.share_letters:
        raise Conflict(
            f"{patient.user.full_name} has not agreed that we send letters to {current.name}. Ask them, and "
            "record their agreement in their doctors' details, before writing."
        )
    return current


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    name: str
    address: str
    email: str
    physician: PatientPhysician | None = None


def _recipient(
    session: Session, patient: Patient, data: LetterCreate, service: ExternalService | None
) -> Recipient:
    if data.kind == LetterKind.ONWARD_REFERRAL:
        if service is None:
            raise InvalidInput(
                "service: choose the outside service to refer the patient to.", field="external_service_id"
            )
        if len(data.reason) < 10:
            raise InvalidInput(
                "reason: say why you refer the patient on (at least 10 characters).", field="reason"
            )
    if service is not None:
        return Recipient(RecipientKind.EXTERNAL_SERVICE, service.name, service.contact, service.email)
    assert data.physician_role is not None  # the schema asks for exactly one recipient
    doctor = physician_for(session, patient, data.physician_role)
    address = "\n".join(part for part in (doctor.practice, doctor.address) if part)
    return Recipient(RecipientKind.PHYSICIAN, doctor.name, address, doctor.email, doctor)


@dataclass(frozen=True)
class RecipientChoice:
    """One recipient the letter form offers: its form value, its label, and why it cannot be chosen now."""

    value: str
    label: str
    refused: str | None = None


def recipient_choices(session: Session, actor: User, patient: Patient) -> list[RecipientChoice]:
    """The patient's doctors (each saying whether the patient agreed to letters), then the outside services."""
    choices = []
    for role, doctor in physicians.current_of(session, patient).items():
        practice = f", {doctor.practice}" if doctor.practice else ""
        refused = (
            None if doctor.share_letters else f"{patient.user.full_name} has not agreed to letters to them"
        )
        choices.append(RecipientChoice(role.value, f"{role.label}: {doctor.name}{practice}", refused))
    choices += [
        RecipientChoice(f"service:{s.id}", f"{s.name} ({s.kind.label})")
        for s in directory.list_services(session, actor)
    ]
    return choices


@dataclass(frozen=True)
class Draft:
    subject: str
    html: str
    recipient: Recipient


def _draft(
    session: Session, actor: User, settings: Settings, patient: Patient, data: LetterCreate, now: datetime
) -> Draft:
    service = _service(session, data.external_service_id)
    recipient = _recipient(session, patient, data, service)
    facts = _facts(
        session,
        settings,
        actor,
        patient,
        kind=data.kind,
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        reason=data.reason,
        note=data.note,
        service=service,
        now=now,
    )
    subject = subject_for(data.kind, patient, service)
    return Draft(subject, render_letter(settings, facts, subject), recipient)


def preview_letter(
    session: Session, actor: User, settings: Settings, patient_id: uuid.UUID, data: LetterCreate
) -> tuple[Patient, Draft]:
    """The letter as it would be made now, not stored (the read of the record is audited)."""
    _check_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type="letter_preview")
    return patient, _draft(session, actor, settings, patient, data, utcnow())


def create_letter(
    session: Session, actor: User, settings: Settings, patient_id: uuid.UUID, data: LetterCreate
) -> Letter:
    """Make the letter (HTML and PDF) and keep it as made; it is sent in a later step."""
    _check_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE
    )
    draft = _draft(session, actor, settings, patient, data, utcnow())
    pdf = render_pdf(draft.html, title=draft.subject)
    letter = Letter(
        id=uuid.uuid4(),
        patient_id=patient.id,
        author_id=actor.id,
        kind=data.kind,
        recipient_kind=draft.recipient.kind,
        external_service_id=data.external_service_id,
        physician_role=data.physician_role,
        physician_id=draft.recipient.physician.id if draft.recipient.physician else None,
        recipient_name=draft.recipient.name,
        recipient_address=draft.recipient.address,
        recipient_email=draft.recipient.email,
        subject=draft.subject,
        reason=data.reason,
        note=data.note,
        body_html=draft.html,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    session.add(letter)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, RESOURCE, resource_id=letter.id, patient_id=patient.id)
    return letter


def letters_of(session: Session, patient: Patient) -> list[Letter]:
    """A patient's letters, newest first (for a patient whose access was checked)."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.patient_id == patient.id)
            .options(joinedload(Letter.author), joinedload(Letter.sent_by))
            .order_by(Letter.created_at.desc())
        )
    )


def list_letters(session: Session, actor: User, patient_id: uuid.UUID) -> tuple[Patient, list[Letter]]:
    _check_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, letters_of(session, patient)


def _letter(session: Session, patient: Patient, letter_id: uuid.UUID, *, pdf: bool = False) -> Letter:
    stmt = (
        select(Letter)
        .where(Letter.id == letter_id, Letter.patient_id == patient.id)
        .options(joinedload(Letter.author), joinedload(Letter.sent_by))
    )
    if pdf:
        stmt = stmt.options(undefer(Letter.pdf))
    found = session.scalar(stmt)
    if found is None:
        raise NotFound("No such letter for this patient.")
    return found


def get_letter(
    session: Session, actor: User, patient_id: uuid.UUID, letter_id: uuid.UUID
) -> tuple[Patient, Letter]:
    _check_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE, resource_id=letter_id)
    return patient, _letter(session, patient, letter_id)


def letter_pdf(session: Session, actor: User, patient_id: uuid.UUID, letter_id: uuid.UUID) -> Letter:
    """The letter's PDF as made (audited as an export)."""
    _check_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.EXPORT, resource_type=RESOURCE, resource_id=letter_id
    )
    return _letter(session, patient, letter_id, pdf=True)


# --- sending ----------------------------------------------------------------------------------------------


def link_path(token: str) -> str:
    return f"/letters/{token}"


def _check_sendable(session: Session, patient: Patient, letter: Letter) -> None:
    """A letter to a doctor goes only while the patient still agrees to letters to that doctor."""
    if letter.recipient_kind == RecipientKind.PHYSICIAN and letter.physician_role is not None:
        physician_for(session, patient, letter.physician_role)


def send_by_email(
    session: Session, actor: User, settings: Settings, patient_id: uuid.UUID, letter_id: uuid.UUID
) -> Letter:
    """Email the recipient a link to the letter (a new link each time; an older one stops working)."""
    _check_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.EXPORT, resource_type=RESOURCE, resource_id=letter_id
    )
    letter = _letter(session, patient, letter_id)
    _check_sendable(session, patient, letter)
    if not letter.recipient_email:
        raise Conflict("This letter has no email address to send it to. Print it for the post instead.")
    now = utcnow()
    token = new_token()
    expires = now + timedelta(days=settings.letter_link_days)
    letter.link_token_hash = token_digest(token)
    letter.link_expires_at = expires
    letter.sent_at = now
    letter.sent_by_id = actor.id
    letter.sent_via = DeliveryMethod.EMAIL
    letter.sent_to = letter.recipient_email
    session.flush()
    until = expires.astimezone(settings.zone)
    who = f"{actor.full_name} ({actor.discipline_label})" if actor.discipline_label else actor.full_name
    ask = " You will be asked for the patient's date of birth." if patient.date_of_birth else ""
    enqueue_email(
        session,
        kind="letter",
        category=Category.CLINICAL,
        dedupe_key=f"letter:{letter.id}:{letter.link_token_hash[:16]}",
        subject=f"A letter from {settings.clinic_name}",
        body=(
            f"{who} at {settings.clinic_name} has written to you about a patient. Open the link below to "
            f"download the letter (PDF).{ask} The link works until {until.day} {until:%B %Y}.\n\n"
            f"If you were not expecting this, call the clinic on {settings.clinic_phone}."
        ),
        link_path=link_path(token),
        to_address=letter.recipient_email,
    )
    return letter


def record_posted(session: Session, actor: User, patient_id: uuid.UUID, letter_id: uuid.UUID) -> Letter:
    """Record that the letter was printed and posted (any emailed link stops working)."""
    _check_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE, resource_id=letter_id
    )
    letter = _letter(session, patient, letter_id)
    _check_sendable(session, patient, letter)
    letter.sent_at = utcnow()
    letter.sent_by_id = actor.id
    letter.sent_via = DeliveryMethod.POST
    letter.sent_to = letter.recipient_name
    letter.link_token_hash = None
    letter.link_expires_at = None
    session.flush()
    return letter


# --- the recipient's download link ------------------------------------------------------------------------


class LinkInvalid(NotFound):
    """The link is unknown, replaced or expired."""

    def __init__(self) -> None:
        super().__init__(
            "This link has expired or is no longer valid. Please ask the clinic to send the letter again."
        )


@dataclass(frozen=True)
class LinkedLetter:
    letter: Letter
    asks_date_of_birth: bool


def _by_link(
    session: Session, token: str, *, pdf: bool = False, now: datetime | None = None
) -> tuple[Letter, Patient]:
    if not token or len(token) > 100:
        raise LinkInvalid()
    stmt = select(Letter).where(Letter.link_token_hash == token_digest(token))
    if pdf:
        stmt = stmt.options(undefer(Letter.pdf))
    letter = session.scalar(stmt)
    if letter is None or letter.link_expires_at is None or letter.link_expires_at <= (now or utcnow()):
        raise LinkInvalid()
    patient = session.get(Patient, letter.patient_id)
    if patient is None:
        raise LinkInvalid()
    return letter, patient


def open_link(session: Session, token: str) -> LinkedLetter:
    """What the emailed link's page shows before the download: nothing about the patient."""
    letter, patient = _by_link(session, token)
    return LinkedLetter(letter, patient.date_of_birth is not None)


def download_by_link(session: Session, token: str, *, date_of_birth: date | None) -> Letter:
    """The letter's PDF for the recipient of the emailed link, once they give the patient's date of birth.

    Wrong answers count against the link (``LINK_ATTEMPTS`` an hour) and are kept even though the request
    fails; each download is audited with the patient and no actor.
    """
    letter, patient = _by_link(session, token, pdf=True)
    key = f"letter-link:{letter.link_token_hash}"
    window = LINK_ATTEMPT_WINDOW
    message = "Too many wrong dates of birth for this link."
    ratelimit.check(session, key, limit=LINK_ATTEMPTS, window=window, message=message)
    if patient.date_of_birth is not None and date_of_birth != patient.date_of_birth:
        used = ratelimit.hit(session, key, window=window)
        left = max(0, LINK_ATTEMPTS - used)
        raise WrongDateOfBirth(
            "That date of birth does not match the letter's patient. "
            + (f"{left} more tr{'y' if left == 1 else 'ies'} this hour." if left else "Try again in an hour.")
        )
    letter.downloaded_at = utcnow()
    audit.record(
        session,
        None,
        AuditAction.EXPORT,
        RESOURCE,
        resource_id=letter.id,
        patient_id=patient.id,
        reason=f"downloaded from the link emailed to {letter.sent_to}",
    )
    session.flush()
    return letter


class WrongDateOfBirth(InvalidInput):
    """The recipient's answer did not match; the attempt is counted (kept although the request fails)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="date_of_birth")
        self.keep_changes = True
