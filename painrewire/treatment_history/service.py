"""Treatment history: what the patient has tried for their back pain, how long, and whether it helped.

The patient and their care team add and edit entries; every change is a new revision that keeps the entry as
it was, so the record shows who changed what. Dates are checked against the calendar and the patient's life:
nothing in the future, nothing before birth, nothing that ended before it started. ``history_summary`` gives
the plan rules and the report plain data ("failed": what did not help).

The classes of medicine follow the NICE guideline NG59, "Low back pain and sciatica in over 16s: assessment
and management" (2016, updated 2020), which names NSAIDs, weak opioids, gabapentinoids, antidepressants and
benzodiazepine muscle relaxants in its recommendations on pharmacological management.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, User
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.treatment_history.models import (
    Category,
    Effect,
    MedicineClass,
    RevisionKind,
    TreatmentEntry,
    TreatmentEntryRevision,
)
from painrewire.treatment_history.schemas import TreatmentCreate, TreatmentUpdate
from painrewire.validation import EARLIEST_DAY

RESOURCE = "treatment_history"
FIELDS = (
    "category",
    "medicine_class",
    "name",
    "dose",
    "duration_weeks",
    "effect",
    "side_effects",
    "started_on",
    "started_year",
    "ended_on",
    "ended_year",
    "notes",
)
TEXT_FIELDS = ("dose", "side_effects", "notes")
EFFECT_RANK = {Effect.NONE: 0, Effect.SOME: 1, Effect.GOOD: 2}


# --- checking an entry ----------------------------------------------------------------------------------


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field)


def check_entry(values: Mapping[str, Any], *, born: date | None, today: date) -> None:
    """Refuse an entry that cannot be true, naming the field: a medicine without its class, a class on
    something that is not a medicine, a date in the future or before birth, an end before the start."""
    category = values["category"]
    if not str(values.get("name") or "").strip():
        raise _refuse("name", "say what the treatment was.")
    if category == Category.MEDICINE and values.get("medicine_class") is None:
        raise _refuse("medicine_class", "choose what kind of medicine it was (or 'other medicine').")
    if category != Category.MEDICINE:
        if values.get("medicine_class") is not None:
            raise _refuse("medicine_class", "only a medicine has a class of medicine.")
        if str(values.get("dose") or "").strip():
            raise _refuse("dose", "only a medicine has a dose.")
    for prefix in ("started", "ended"):
        day, year = values.get(f"{prefix}_on"), values.get(f"{prefix}_year")
        if day is not None and year is not None and day.year != year:
            raise _refuse(f"{prefix}_year", f"the year {year} does not match the date {day.isoformat()}.")
        if day is not None and day > today:
            raise _refuse(f"{prefix}_on", f"{day.isoformat()} is in the future.")
        if day is not None and day < EARLIEST_DAY:
            raise _refuse(f"{prefix}_on", f"{day.isoformat()} is before {EARLIEST_DAY.year}.")
        if year is not None and year > today.year:
            raise _refuse(f"{prefix}_year", f"{year} is in the future.")
        if born is not None and day is not None and day < born:
            raise _refuse(
                f"{prefix}_on", f"{day.isoformat()} is before the date of birth ({born.isoformat()})."
            )
        if born is not None and year is not None and year < born.year:
            raise _refuse(f"{prefix}_year", f"{year} is before the year of birth ({born.year}).")
    if values.get("started_on") is None and values.get("started_year") is None:
        raise _refuse("started_on", "give the date it started, or just the year (about right is fine).")
    start = values.get("started_on") or date(values["started_year"], 1, 1)
    end_day: date | None = values.get("ended_on")
    end_year: int | None = values.get("ended_year")
    if end_day is not None or end_year is not None:
        end = end_day if end_day is not None else date(int(end_year or 0), 12, 31)
        if end < start:
            field = "ended_on" if end_day is not None else "ended_year"
            raise _refuse(field, "it ends before it started.")


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    values["name"] = str(values.get("name") or "").strip()
    for name in TEXT_FIELDS:
        values[name] = str(values.get(name) or "").strip()
    return values


def _snapshot(entry: TreatmentEntry) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(entry, name)
        out[name] = (
            value.isoformat()
            if isinstance(value, date)
            else (value.value if hasattr(value, "value") else value)
        )
    return out


def _revise(session: Session, actor: User, entry: TreatmentEntry, change: RevisionKind) -> None:
    session.add(
        TreatmentEntryRevision(
            entry_id=entry.id,
            patient_id=entry.patient_id,
            version=entry.version,
            change=change,
            snapshot=_snapshot(entry),
            changed_by_id=actor.id,
        )
    )


# --- reading --------------------------------------------------------------------------------------------


def _start_key(entry: TreatmentEntry) -> date:
    return entry.started_on or date(entry.started_year or 1, 1, 1)


def entries_of(
    session: Session, patient: Patient | uuid.UUID, *, include_removed: bool = False
) -> list[TreatmentEntry]:
    """The patient's entries (access already checked), earliest first within the order of categories."""
    patient_id = patient.id if isinstance(patient, Patient) else patient
    stmt = select(TreatmentEntry).where(TreatmentEntry.patient_id == patient_id)
    if not include_removed:
        stmt = stmt.where(TreatmentEntry.removed_at.is_(None))
    order = {c: n for n, c in enumerate(Category)}
    found = list(session.scalars(stmt.options(joinedload(TreatmentEntry.updated_by))))
    return sorted(found, key=lambda e: (order[e.category], _start_key(e), e.created_at))


def list_entries(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[Patient, list[TreatmentEntry]]:
    """The patient's treatment history (the read is audited)."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, entries_of(session, patient)


def by_category(entries: list[TreatmentEntry]) -> list[tuple[Category, list[TreatmentEntry]]]:
    """Entries under each category in the order of ``Category``; empty categories left out."""
    groups: dict[Category, list[TreatmentEntry]] = {c: [] for c in Category}
    for entry in entries:
        groups[entry.category].append(entry)
    return [(c, items) for c, items in groups.items() if items]


def revisions_of(session: Session, patient: Patient, entry_id: uuid.UUID) -> list[TreatmentEntryRevision]:
    """Every saved version of one entry, newest first."""
    _entry(session, patient, entry_id)
    return list(
        session.scalars(
            select(TreatmentEntryRevision)
            .where(TreatmentEntryRevision.entry_id == entry_id)
            .options(joinedload(TreatmentEntryRevision.changed_by))
            .order_by(TreatmentEntryRevision.version.desc())
        )
    )


def list_revisions(
    session: Session, actor: User, patient_id: uuid.UUID, entry_id: uuid.UUID
) -> list[TreatmentEntryRevision]:
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE, resource_id=entry_id)
    return revisions_of(session, patient, entry_id)


def entry_of(session: Session, patient: Patient, entry_id: uuid.UUID) -> TreatmentEntry:
    """One entry of a patient whose access was already checked (a removed one too), or a 404."""
    return _entry(session, patient, entry_id)


def _entry(session: Session, patient: Patient, entry_id: uuid.UUID, *, lock: bool = False) -> TreatmentEntry:
    stmt = select(TreatmentEntry).where(
        TreatmentEntry.id == entry_id, TreatmentEntry.patient_id == patient.id
    )
    if lock:
        stmt = stmt.with_for_update()
    entry = session.scalar(stmt)
    if entry is None:
        raise NotFound("No such treatment in this record.")
    return entry


# --- writing --------------------------------------------------------------------------------------------


def add_entry(session: Session, actor: User, patient_id: uuid.UUID, data: TreatmentCreate) -> TreatmentEntry:
    """Add a treatment to the patient's history (the patient or their care team)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE
    )
    return add_entry_for(session, actor, patient, data)


def add_entry_for(session: Session, actor: User, patient: Patient, data: TreatmentCreate) -> TreatmentEntry:
    """The same, for a patient whose access was already checked and audited."""
    values = _normalised(data.model_dump())
    check_entry(values, born=patient.date_of_birth, today=_today())
    now = utcnow()
    entry = TreatmentEntry(
        patient_id=patient.id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by_id=actor.id,
        updated_by_id=actor.id,
        **values,
    )
    session.add(entry)
    session.flush()
    _revise(session, actor, entry, RevisionKind.CREATED)
    session.flush()
    return entry


def update_entry(
    session: Session, actor: User, patient_id: uuid.UUID, entry_id: uuid.UUID, data: TreatmentUpdate
) -> TreatmentEntry:
    """Change an entry; the version before stays in its revisions."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE, resource_id=entry_id
    )
    return update_entry_for(session, actor, patient, entry_id, data)


def update_entry_for(
    session: Session, actor: User, patient: Patient, entry_id: uuid.UUID, data: TreatmentUpdate
) -> TreatmentEntry:
    entry = _entry(session, patient, entry_id, lock=True)
    if entry.removed_at is not None:
        raise Conflict("This treatment was removed from the record; add it again instead.")
    if data.version is not None and data.version != entry.version:
        raise Conflict(
            f"Someone changed this treatment since you opened it (now version {entry.version}). "
            "Reload it and make your change again."
        )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("category", "name"):
        if required in changes and changes[required] is None:
            raise _refuse(required, "cannot be left empty.")
    values = _normalised({name: getattr(entry, name) for name in FIELDS} | changes)
    check_entry(values, born=patient.date_of_birth, today=_today())
    if all(values[name] == getattr(entry, name) for name in FIELDS):
        return entry
    for name, value in values.items():
        setattr(entry, name, value)
    entry.version += 1
    entry.updated_at = utcnow()
    entry.updated_by_id = actor.id
    session.flush()
    _revise(session, actor, entry, RevisionKind.UPDATED)
    session.flush()
    return entry


def remove_entry(session: Session, actor: User, patient_id: uuid.UUID, entry_id: uuid.UUID) -> TreatmentEntry:
    """Take an entry out of the history (it was entered by mistake); its revisions keep what it said."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.DELETE, resource_type=RESOURCE, resource_id=entry_id
    )
    return remove_entry_for(session, actor, patient, entry_id)


def remove_entry_for(session: Session, actor: User, patient: Patient, entry_id: uuid.UUID) -> TreatmentEntry:
    entry = _entry(session, patient, entry_id, lock=True)
    if entry.removed_at is not None:
        return entry
    now = utcnow()
    entry.removed_at = now
    entry.removed_by_id = actor.id
    entry.updated_at = now
    entry.updated_by_id = actor.id
    entry.version += 1
    session.flush()
    _revise(session, actor, entry, RevisionKind.REMOVED)
    session.flush()
    return entry


def _today() -> date:
    return utcnow().date()


# --- plain data for the plan rules and the report ---------------------------------------------------------


def kind_label(kind: str) -> str:
    """The plain name of a summary key: ``"nsaid"`` reads "NSAIDs", ``"physiotherapy"`` "physiotherapy"."""
    if kind in MedicineClass._value2member_map_:
        return MedicineClass(kind).short
    return Category(kind).label.lower() if kind != Category.OTHER.value else "other treatments"


def history_summary(session: Session, patient: Patient | uuid.UUID) -> dict[str, Any]:
    """What the patient has tried, as plain data (not audited: for a use case whose access was checked).

    Each treatment is named by its kind: the class for a medicine (``"nsaid"``, ``"opioid"``, ...), the
    category otherwise (``"physiotherapy"``, ``"injection"``, ``"surgery"``, ``"psychological"``,
    ``"other"``). A kind tried several times counts by its best effect: it "failed" (did not help) when every
    entry with an effect says none.

    Returns ``{"tried": [...], "failed": [...], "partly_helped": [...], "helped": [...], "not_rated": [...],
    "side_effects": [...], "surgery": [{"what", "year"}], "labels": {kind: words}, "entries": [...]}``,
    kinds in the order first tried, and ``entries`` in the order of ``entries_of`` for the report.
    """
    entries = entries_of(session, patient)
    tried: list[str] = []
    best: dict[str, Effect | None] = {}
    side: list[str] = []
    for entry in sorted(entries, key=lambda e: (_start_key(e), e.created_at)):
        kind = entry.kind
        if kind not in tried:
            tried.append(kind)
            best[kind] = None
        effect = entry.effect
        if effect is not None and (best[kind] is None or EFFECT_RANK[effect] > EFFECT_RANK[best[kind]]):  # type: ignore[index]
            best[kind] = effect
        if entry.side_effects and kind not in side:
            side.append(kind)

    def having(effect: Effect | None) -> list[str]:
        return [k for k in tried if best[k] == effect]

    return {
        "tried": tried,
        "failed": having(Effect.NONE),
        "partly_helped": having(Effect.SOME),
        "helped": having(Effect.GOOD),
        "not_rated": having(None),
        "side_effects": side,
        "surgery": [
            {"what": e.name, "year": e.started_on.year if e.started_on else e.started_year}
            for e in entries
            if e.category == Category.SURGERY
        ],
        "labels": {k: kind_label(k) for k in tried},
        "entries": [
            {
                "kind": e.kind,
                "category": e.category.value,
                "medicine_class": e.medicine_class.value if e.medicine_class else None,
                "what": e.kind_label,
                "name": e.name,
                "dose": e.dose,
                "duration_weeks": e.duration_weeks,
                "effect": e.effect.value if e.effect else None,
                "side_effects": e.side_effects,
                "started": e.started_label,
                "ended": e.ended_label,
            }
            for e in entries
        ],
    }


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as short sentences for a clinician or a letter ("Did not help: opioids, physiotherapy.")."""
    labels = summary["labels"]
    lines = []
    for key, words in (
        ("failed", "Did not help"),
        ("partly_helped", "Helped a little"),
        ("helped", "Helped a lot"),
        ("not_rated", "Tried, effect not given"),
        ("side_effects", "Side effects reported with"),
    ):
        if summary[key]:
            lines.append(f"{words}: {', '.join(labels[k] for k in summary[key])}.")
    for surgery in summary["surgery"]:
        lines.append(f"Surgery: {surgery['what']}" + (f" ({surgery['year']})." if surgery["year"] else "."))
    return lines
