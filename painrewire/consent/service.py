"""Consent: record it, withdraw it, and ask whether a patient currently consents.

A patient gives consent online; a clinician on the care team records one given in clinic or on paper. Each
consent keeps the exact text and version agreed to. A withdrawal takes effect at once (the next
``has_consent``, in any request, says no), is audited, and is written on the same record; consenting again
later makes a new record, so the history shows each period of consent.

Sources: General Medical Council, "Decision making and consent" (2020), paragraphs on consent as a continuing
process that the patient can withdraw at any time; Health Research Authority, "Consent and participant
information guidance" for the research consent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.consent.models import ConsentKind, ConsentMethod, ConsentRecord
from painrewire.content import ContentModel, read_yaml, validate
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient

TEXTS_FILE = Path(__file__).with_name("texts.yaml")
RESOURCE = "consent"
MAX_NOTE = 1000
#: Consents that only make sense beside another: blinded sessions are neurofeedback sessions.
REQUIRES = {ConsentKind.BLINDED_NEUROFEEDBACK: ConsentKind.NEUROFEEDBACK}
STAFF_METHODS = (ConsentMethod.IN_CLINIC, ConsentMethod.PAPER)


# --- the texts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentText:
    """What a patient reads before agreeing to one kind of consent."""

    kind: ConsentKind
    version: str
    title: str
    summary: str
    text: str

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs (a blank line between paragraphs in the file)."""
        return [p.strip() for p in self.text.split("\n") if p.strip()]


class ConsentTextEntry(ContentModel):
    """One kind of consent in ``texts.yaml``: its version, title, summary and text."""

    version: str = Field(max_length=32)
    title: str
    summary: str
    text: str

    @field_validator("version", "title", "summary", "text", mode="before")
    @classmethod
    def _some_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("must be non-empty text")
            return value.strip()
        return value


class ConsentTextsFile(ContentModel):
    """``texts.yaml``: one entry per kind of consent, and no other."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {"kinds": ("consent kind",)}

    kinds: dict[str, ConsentTextEntry]

    @model_validator(mode="before")
    @classmethod
    def _by_kind(cls, data: Any) -> Any:
        return {"kinds": data}

    @field_validator("kinds")
    @classmethod
    def _every_kind(cls, value: dict[str, ConsentTextEntry]) -> dict[str, ConsentTextEntry]:
        missing = [k.value for k in ConsentKind if k.value not in value]
        if missing:
            raise ValueError(f"no text for {', '.join(map(repr, missing))}")
        unknown = sorted(set(value) - {k.value for k in ConsentKind})
        if unknown:
            raise ValueError(f"unknown kinds {unknown}")
        return value


def _load(raw: Any) -> dict[ConsentKind, ConsentText]:
    checked = validate(raw, ConsentTextsFile, origin=TEXTS_FILE)
    return {kind: ConsentText(kind=kind, **checked.kinds[kind.value].model_dump()) for kind in ConsentKind}


@lru_cache(maxsize=1)
def consent_texts() -> dict[ConsentKind, ConsentText]:
    """The current text of each kind of consent, from ``texts.yaml`` (checked when loaded)."""
    return _load(read_yaml(TEXTS_FILE))


# --- the questions other modules ask --------------------------------------------------------------------


def has_consent(session: Session, patient_id: uuid.UUID, kind: ConsentKind) -> bool:
    """Whether the patient has a current (not withdrawn) consent of this kind.

    Not audited on its own: callers use it inside a use case whose access was already checked and audited.
    """
    found = session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.patient_id == patient_id,
            ConsentRecord.kind == kind,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def consented_patient_ids(kind: ConsentKind) -> Select[uuid.UUID]:
    """The ids of patients with a current consent of this kind, as a sub-select to filter any query."""
    return select(ConsentRecord.patient_id).where(
        ConsentRecord.kind == kind, ConsentRecord.withdrawn_at.is_(None)
    )


def consent_summary(session: Session, patient: Patient | uuid.UUID) -> dict[str, bool]:
    """Plain data for the plan rules: each kind of consent and whether it is current now.

    ``{"treatment": True, "neurofeedback": False, "blinded_neurofeedback": False, "research": True}``
    """
    patient_id = patient.id if isinstance(patient, Patient) else patient
    current = set(
        session.scalars(
            select(ConsentRecord.kind).where(
                ConsentRecord.patient_id == patient_id, ConsentRecord.withdrawn_at.is_(None)
            )
        )
    )
    return {kind.value: kind in current for kind in ConsentKind}


# --- reading the record ---------------------------------------------------------------------------------


def records_of(session: Session, patient: Patient) -> list[ConsentRecord]:
    """Every consent record of a patient whose access was already checked, newest first."""
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.patient_id == patient.id)
            .options(joinedload(ConsentRecord.recorded_by), joinedload(ConsentRecord.withdrawn_by))
            .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id)
        )
    )


def list_consents(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[Patient, list[ConsentRecord]]:
    """The patient's consent records, newest first (the read is audited)."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, records_of(session, patient)


def current_by_kind(records: list[ConsentRecord]) -> dict[ConsentKind, ConsentRecord | None]:
    """The current record of each kind (None where there is none), in the order of ``ConsentKind``."""
    current: dict[ConsentKind, ConsentRecord | None] = {kind: None for kind in ConsentKind}
    for record in records:
        if record.is_current:
            current[record.kind] = record
    return current


# --- giving and withdrawing -----------------------------------------------------------------------------


def _check_method(actor: User, method: ConsentMethod | None, field: str) -> ConsentMethod:
    if actor.role == Role.PATIENT:
        if method not in (None, ConsentMethod.ONLINE):
            raise InvalidInput(
                f"{field}: a patient gives or withdraws consent online; a clinician records it in clinic "
                "or from paper.",
                field=field,
            )
        return ConsentMethod.ONLINE
    access.require_role(
        actor,
        Role.CLINICIAN,
        message="Consent is given by the patient, or recorded by a clinician on their care team.",
    )
    if method not in STAFF_METHODS:
        raise InvalidInput(
            f"{field}: say how the patient told you: in clinic ({ConsentMethod.IN_CLINIC.value}) or on paper "
            f"({ConsentMethod.PAPER.value}).",
            field=field,
        )
    return method


def _current(
    session: Session, patient: Patient, kind: ConsentKind, *, lock: bool = False
) -> ConsentRecord | None:
    stmt = select(ConsentRecord).where(
        ConsentRecord.patient_id == patient.id,
        ConsentRecord.kind == kind,
        ConsentRecord.withdrawn_at.is_(None),
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def give_consent(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    kind: ConsentKind,
    text_version: str,
    method: ConsentMethod | None = None,
) -> ConsentRecord:
    """Record a consent to the current text of ``kind`` (the version the person read must be the current one)."""
    how = _check_method(actor, method, "method")
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE, resource_id=kind.value
    )
    text = consent_texts()[kind]
    if text_version != text.version:
        raise InvalidInput(
            f"text_version: the {text.title.lower()} text has changed since the page was opened "
            f"(now version {text.version}). Please read it again before agreeing.",
            field="text_version",
        )
    needed = REQUIRES.get(kind)
    if needed is not None and not has_consent(session, patient.id, needed):
        raise InvalidInput(
            f"kind: {text.title.lower()} needs consent to {consent_texts()[needed].title.lower()} first.",
            field="kind",
        )
    if _current(session, patient, kind) is not None:
        raise Conflict(f"Consent to {text.title.lower()} is already recorded.")
    record = ConsentRecord(
        patient_id=patient.id,
        kind=kind,
        text_version=text.version,
        text=text.text,
        given_at=utcnow(),
        method=how,
        recorded_by_id=actor.id,
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Consent to {text.title.lower()} is already recorded.") from exc
    return record


def withdraw_consent(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    kind: ConsentKind,
    method: ConsentMethod | None = None,
    note: str | None = None,
) -> list[ConsentRecord]:
    """Withdraw the current consent of ``kind`` now; returns the records withdrawn.

    Withdrawing neurofeedback also withdraws blinded sessions, which are neurofeedback sessions.
    """
    how = _check_method(actor, method, "method")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"note: please keep the note under {MAX_NOTE} characters.", field="note")
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE, resource_id=kind.value
    )
    record = _current(session, patient, kind, lock=True)
    if record is None:
        raise Conflict(f"There is no current consent to {consent_texts()[kind].title.lower()} to withdraw.")
    now = utcnow()
    withdrawn = [record]
    for dependent, needed in REQUIRES.items():
        if needed == kind:
            found = _current(session, patient, dependent, lock=True)
            if found is not None:
                withdrawn.append(found)
    for item in withdrawn:
        item.withdrawn_at = now
        item.withdrawn_by_id = actor.id
        item.withdrawal_method = how
        item.withdrawal_note = note if item is record else f"Withdrawn with the consent to {kind.value}."
        if item is not record:
            # The kind named by the request is audited by `patient_for`; one withdrawn with it, here.
            audit.record(
                session,
                actor,
                AuditAction.UPDATE,
                RESOURCE,
                resource_id=item.kind.value,
                patient_id=patient.id,
            )
    session.flush()
    return withdrawn
