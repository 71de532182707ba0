"""The pain diary: save a day's entry (keeping every replaced version), read a range, see what is missing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.db import utcnow
from painrewire.diary.models import DiaryEntry, DiaryEntryRevision, DiarySummary, PainBaseline
from painrewire.diary.outcomes import BASELINE_ENTRIES, DiaryPoint, first_week_mean
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.diary.trends import RECENT_DAYS, RecentDiary
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice.models import PracticeLog
from painrewire.practice.service import practice_by_day
from painrewire.validation import EARLIEST_DAY, check_day

FIELDS = (
    "pain_now",
    "average_pain",
    "interference",
    "mood",
    "sleep_quality",
    "activity_minutes",
    "triggers",
    "note",
)
MAX_RANGE_DAYS = 731


def check_diary_day(patient: Patient, day: date, *, today: date) -> date:
    """A day the patient's diary may hold: from their date of birth (or 1900) up to today where they live;
    any other is refused (422) naming the field ``day``."""
    if day > today:
        raise InvalidInput(
            f"day: {day.isoformat()} is in the future; the diary can be filled up to today.", field="day"
        )
    born = patient.date_of_birth
    return check_day(
        day,
        field="day",
        earliest=born or EARLIEST_DAY,
        earliest_reason=f"the date of birth ({born.isoformat()})" if born and born > EARLIEST_DAY else "",
    )


def save_entry(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    day: date | None,
    data: DiaryEntryWrite,
    *,
    now: datetime | None = None,
) -> DiaryEntry:
    """Create the day's entry, or change it; the replaced values are kept with who and when.

    ``day`` None is the patient's today (where they live). The one access, audited, is this function's: a page
    that saves an entry needs no access of its own.
    """
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="diary_entry",
        resource_id=day.isoformat() if day is not None else None,
    )
    today = patient.local_today(now)
    day = today if day is None else day
    check_diary_day(patient, day, today=today)
    entry = session.scalar(
        select(DiaryEntry).where(DiaryEntry.patient_id == patient.id, DiaryEntry.day == day)
    )
    values = data.model_dump()
    if entry is None:
        entry = DiaryEntry(patient_id=patient.id, day=day, **values)
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError as exc:
            raise Conflict(
                "This day's entry was saved at the same moment elsewhere; reload and try again."
            ) from exc
        refresh_trends(session, patient.id)
        return entry
    session.add(
        DiaryEntryRevision(
            entry_id=entry.id,
            revision=entry.revision,
            values={f: getattr(entry, f) for f in FIELDS},
            replaced_by_id=actor.id,
            same_day=day == today,
        )
    )
    for name, value in values.items():
        setattr(entry, name, value)
    entry.revision += 1
    entry.updated_at = now or utcnow()
    session.flush()
    refresh_trends(session, patient.id)
    return entry


def refresh_trends(session: Session, patient_id: uuid.UUID) -> None:
    """Bring what the clinician home reads (the first diary week, the recent diary) up to date with the
    diary, in the caller's transaction: call it after any change to a patient's entries (a save, a delete,
    an import, demo data)."""
    refresh_baseline(session, patient_id)
    refresh_summary(session, patient_id)


def refresh_baseline(session: Session, patient_id: uuid.UUID, *, changed_day: date | None = None) -> None:
    """Recompute the stored first diary week from the first 7 diary days (one short query on the diary index).

    This is the clinician home's early reference (`painrewire.diary.outcomes.first_week_mean`), not the
    outcome baseline, which is the week before treatment starts.

    A change after the seventh diary day cannot move the baseline, but a new day before it (a late entry for
    an early date) can, so the first 7 days are read again each time a day is saved; the row is written only
    when the baseline moved. ``changed_day`` is kept for callers; every save calls this.
    """
    stored = session.get(PainBaseline, patient_id)
    early = session.execute(
        select(DiaryEntry.day, DiaryEntry.average_pain)
        .where(DiaryEntry.patient_id == patient_id)
        .order_by(DiaryEntry.day)
        .limit(BASELINE_ENTRIES)
    ).all()
    if not early:
        if stored is not None:
            session.delete(stored)
            session.flush()
        return
    first = early[0][0]
    value = first_week_mean([DiaryPoint(day, float(pain)) for day, pain in early])
    if stored is not None and (stored.first_day, stored.diary_baseline) == (first, value):
        return
    if stored is None:
        session.add(PainBaseline(patient_id=patient_id, first_day=first, diary_baseline=value))
    else:
        stored.first_day, stored.diary_baseline, stored.updated_at = first, value, utcnow()
    session.flush()


def refresh_summary(session: Session, patient_id: uuid.UUID) -> None:
    """Recompute the patient's `DiarySummary` from their latest diary days (one short query on the diary
    index); a patient left with no entry has no summary."""
    latest = session.execute(
        select(DiaryEntry.day, DiaryEntry.average_pain)
        .where(DiaryEntry.patient_id == patient_id)
        .order_by(DiaryEntry.day.desc())
        .limit(RECENT_DAYS)
    ).all()
    recent = RecentDiary.from_entries((day, pain) for day, pain in latest)
    stored = session.get(DiarySummary, patient_id)
    if recent is None:
        if stored is not None:
            session.delete(stored)
            session.flush()
        return
    values = _summary_values(recent)
    if stored is None:
        session.add(DiarySummary(patient_id=patient_id, **values))
    else:
        for name, value in values.items():
            setattr(stored, name, value)
        stored.updated_at = utcnow()
    session.flush()


def _summary_values(recent: RecentDiary) -> dict[str, object]:
    means = recent.means_after_last()
    return {
        "last_day": recent.last_day,
        "recent_pain": recent.stored_pain(),
        **{f"mean_day_{k}": mean for k, mean in enumerate(means)},
    }


def rebuild_summaries(session: Session, patient_ids: Select[tuple[uuid.UUID]] | None = None) -> int:
    """Write the `DiarySummary` of every patient (or of those ``patient_ids`` selects) from the diary, in a
    few statements whatever their number: for diaries written without `save_entry` (bulk loads, a restore
    into a database whose summaries were lost). Returns the number of summaries written."""
    ranked = select(
        DiaryEntry.patient_id,
        DiaryEntry.day,
        DiaryEntry.average_pain,
        func.row_number()
        .over(partition_by=DiaryEntry.patient_id, order_by=DiaryEntry.day.desc())
        .label("back"),
    )
    if patient_ids is not None:
        ranked = ranked.where(DiaryEntry.patient_id.in_(patient_ids))
    latest = ranked.subquery()
    days: dict[uuid.UUID, list[tuple[date, int]]] = defaultdict(list)
    for patient_id, day, pain in session.execute(
        select(latest.c.patient_id, latest.c.day, latest.c.average_pain).where(latest.c.back <= RECENT_DAYS)
    ):
        days[patient_id].append((day, pain))
    clear = delete(DiarySummary)
    if patient_ids is not None:
        clear = clear.where(DiarySummary.patient_id.in_(patient_ids))
    session.execute(clear)
    now = utcnow()
    rows = []
    for patient_id, found in days.items():
        recent = RecentDiary.from_entries(found)
        if recent is not None:
            rows.append({"patient_id": patient_id, "updated_at": now, **_summary_values(recent)})
    for start in range(0, len(rows), 5000):
        session.execute(insert(DiarySummary), rows[start : start + 5000])
    return len(rows)


@dataclass(frozen=True)
class DiaryDay:
    entry: DiaryEntry
    practice: list[PracticeLog]


def entries(
    session: Session, actor: User, patient_id: uuid.UUID, *, start: date, end: date
) -> list[DiaryDay]:
    """Entries from ``start`` to ``end`` inclusive, oldest first, each with the practice logged that day."""
    if end < start:
        raise InvalidInput("The end date is before the start date.")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    patient = access.patient_for(session, actor, patient_id, resource_type="diary_entry")
    practice = practice_by_day(session, patient, start=start, end=end)
    return [DiaryDay(e, practice.get(e.day, [])) for e in entries_for(session, patient, start=start, end=end)]


def entries_for(session: Session, patient: Patient, *, start: date, end: date) -> list[DiaryEntry]:
    """The same, for a patient whose access was already checked and audited."""
    stmt = (
        select(DiaryEntry)
        .where(DiaryEntry.patient_id == patient.id, DiaryEntry.day >= start, DiaryEntry.day <= end)
        .order_by(DiaryEntry.day)
    )
    return list(session.scalars(stmt))


def all_entries(session: Session, patient: Patient) -> list[DiaryEntry]:
    """Every entry of a patient whose access was already checked, oldest first (for outcomes and charts)."""
    return list(
        session.scalars(
            select(DiaryEntry).where(DiaryEntry.patient_id == patient.id).order_by(DiaryEntry.day)
        )
    )


def entry_for_day(session: Session, patient: Patient, day: date) -> DiaryEntry | None:
    return session.scalar(
        select(DiaryEntry).where(DiaryEntry.patient_id == patient.id, DiaryEntry.day == day)
    )


def day_history(
    session: Session, actor: User, patient_id: uuid.UUID, day: date
) -> tuple[DiaryEntry, list[DiaryEntryRevision]]:
    """A day's entry as it is now and every version it replaced, oldest first (the read is audited)."""
    patient = access.patient_for(
        session, actor, patient_id, resource_type="diary_entry", resource_id=day.isoformat()
    )
    entry = entry_for_day(session, patient, day)
    if entry is None:
        raise NotFound(f"No diary entry on {day.isoformat()}.")
    return entry, revisions(session, entry)


def revisions(session: Session, entry: DiaryEntry) -> list[DiaryEntryRevision]:
    return list(
        session.scalars(
            select(DiaryEntryRevision)
            .where(DiaryEntryRevision.entry_id == entry.id)
            .order_by(DiaryEntryRevision.revision)
        )
    )


def missing_today(session: Session, patient: Patient, *, now: datetime | None = None) -> bool:
    return entry_for_day(session, patient, patient.local_today(now)) is None


def recent_window(patient: Patient, days: int = 14, *, now: datetime | None = None) -> tuple[date, date]:
    end = patient.local_today(now)
    return end - timedelta(days=days - 1), end


def local_today(patient: Patient, now: datetime | None = None) -> date:
    """The patient's own calendar day (`Patient.local_today`), for callers not yet moved to it."""
    return patient.local_today(now)
