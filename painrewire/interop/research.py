"""De-identified outcomes for research, as CSV: one row per patient of the cohort.

What is left out or changed, and why:

- No names, email addresses, phone numbers, patient or account ids, free text of any kind (diary notes,
  intake history, clinical notes, cancellation reasons), trigger tags or exact birth dates.
- Age is given as a five-year band on the outcome day (``40-44``), top-coded at ``90+``.
- Each patient gets a research id, ``R-`` and 16 hex digits of HMAC-SHA256(clinic secret key, patient id):
  stable across exports, so a study can follow a patient over time, and not reversible without the key.
- Every date of a patient is shifted by the same secret number of days, 1 to 182 either way, derived the
  same way (HMAC of the patient id): intervals within a patient are kept exactly, calendar dates are not.

Only patients who currently consent to research (``ConsentKind.RESEARCH``) are in the file: a withdrawal
leaves the patient out of the next export, from the moment it is recorded.

Outcome columns follow `painrewire.diary.outcomes`: the baseline is the week before treatment started (PEG item
1, else the diary's mean), ``responder_30`` means at least 30 % and at least 2 points less pain, ``responder_50``
at least 50 % and 2 points (IMMPACT, Dworkin 2008); ``pain_free_or_nearly`` is a week's pain of 1 or less, and
``trial_comparable`` says whether the patient resembles those the PRT trial enrolled (Ashar 2022: baseline 4 or
more, pain for 26 weeks or more). Each follow-up time point (``end``, ``month_3``, ``month_6``, ``month_12``)
has its due day, status (``upcoming``, ``awaiting``, ``measured``, ``missing``) and, when measured, its pain
and verdicts; a missing one is left empty, never filled with an earlier value.

Rows are sorted by research id, so their order says nothing about who started first. Small cohorts can still
be re-identifiable by a reader who knows the patients; the clinic should share the file only under a data
agreement.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, User
from painrewire.assessments.instruments import INSTRUMENT_IDS, get_instrument
from painrewire.consent.models import ConsentKind
from painrewire.consent.service import consented_patient_ids
from painrewire.dashboard import cohort as cohorts
from painrewire.dashboard.cohort import CohortMember, Score
from painrewire.diary.outcomes import PainMeasure, TimePoint
from painrewire.patients.pseudonyms import MAX_SHIFT_DAYS, date_shift, research_id

__all__ = ["MAX_SHIFT_DAYS", "date_shift", "research_id"]

OUTCOME_FIELDS = (
    "outcome_status",
    "responder_30",
    "responder_50",
    "pain_free_or_nearly",
    "worsening",
)
FOLLOW_UP_FIELDS = ("due", "status", "pain", "source", "responder_30", "responder_50", "pain_free_or_nearly")


def shifted(day: date | None, shift: timedelta) -> str:
    """``day`` moved by the patient's shift, as ``YYYY-MM-DD``; empty when unknown or when the shift would
    leave the calendar (a stored date within 182 days of 0001-01-01 or 9999-12-31, which no record should
    hold): an empty cell, never a failed export."""
    if day is None:
        return ""
    try:
        return (day + shift).isoformat()
    except OverflowError:
        return ""


def age_band(born: date | None, on: date) -> str:
    """A five-year age band on a day (``under 18`` and ``90+`` at the ends), or empty when unknown."""
    if born is None:
        return ""
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < 18:
        return "under 18"
    if age >= 90:
        return "90+"
    low = age - age % 5
    return f"{low}-{low + 4}"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{round(value, digits):g}"


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def columns() -> list[str]:
    head = [
        "research_id",
        "age_band",
        "programs",
        "disciplines",
        "diary_start",
        "outcome_date",
        "days_since_start",
        "diary_days",
        "treatment_start",
        "treatment_start_source",
        "treatment_end",
        "treatment_end_recorded",
        "trial_comparable",
        "baseline_pain",
        "baseline_source",
        "baseline_date",
        "current_pain",
        "current_source",
        "change_points",
        "change_percent",
        *OUTCOME_FIELDS,
        *(f"{point.value}_{name}" for point in TimePoint for name in FOLLOW_UP_FIELDS),
        "practice_minutes",
        "practice_days",
    ]
    for instrument in INSTRUMENT_IDS:
        head += [f"{instrument}_first_date", f"{instrument}_latest_date"]
        head += [f"{measure}_{when}" for measure in _measures(instrument) for when in ("first", "latest")]
    return head


def _measures(instrument: str) -> list[str]:
    """The column stems of an instrument: its total (where it has one) and each subscale."""
    definition = get_instrument(instrument)
    stems = [] if definition.total_method == "none" else [instrument]
    return stems + [f"{instrument}_{sub.id}" for sub in definition.subscales]


def _scores(scores: Sequence[Score], shift: timedelta) -> dict[str, str]:
    """First and latest valid score of each instrument (total and subscales), dates shifted."""
    found: dict[str, str] = {}
    by_instrument: dict[str, list[Score]] = {}
    for score in scores:
        by_instrument.setdefault(score.instrument_id, []).append(score)
    for instrument, items in by_instrument.items():
        if instrument not in INSTRUMENT_IDS:
            continue
        first, latest = items[0], items[-1]
        found[f"{instrument}_first_date"] = shifted(first.completed_on, shift)
        found[f"{instrument}_latest_date"] = shifted(latest.completed_on, shift)
        for when, score in (("first", first), ("latest", latest)):
            if score.total is not None:
                found[f"{instrument}_{when}"] = _number(score.total)
            for name, value in score.subscales.items():
                found[f"{instrument}_{name}_{when}"] = _number(value)
    return {k: v for k, v in found.items() if k in _known_columns()}


@lru_cache(maxsize=1)
def _known_columns() -> frozenset[str]:
    return frozenset(columns())


def _measure(measure: PainMeasure | None) -> tuple[str, str]:
    return ("", "") if measure is None else (_number(measure.value), measure.source.value)


def row(member: CohortMember, *, secret: str, as_of: date) -> dict[str, str]:
    shift = date_shift(secret, member.patient_id)
    outcome = member.outcome
    start = member.start
    values: dict[str, str] = {
        "research_id": research_id(secret, member.patient_id),
        "age_band": age_band(member.date_of_birth, as_of),
        "programs": ";".join(sorted(member.modules)),
        "disciplines": ";".join(sorted(d.value for d in member.disciplines)),
        "diary_start": shifted(member.first_day, shift),
        "outcome_date": shifted(as_of, shift),
        "days_since_start": str((as_of - member.first_day).days) if member.first_day else "",
        "diary_days": str(member.diary_days),
        "treatment_start": shifted(start.day, shift) if start else "",
        "treatment_start_source": start.source.value if start else "",
        "treatment_end": shifted(member.end, shift) if start else "",
        "treatment_end_recorded": _flag(member.end_recorded) if member.end and start else "",
        "practice_minutes": _number(member.practice_minutes, 1),
        "practice_days": str(member.practice_days),
    }
    if outcome is not None:
        baseline, current, change = outcome.baseline_measure, outcome.current_measure, outcome.change
        values["baseline_pain"], values["baseline_source"] = _measure(baseline)
        values["current_pain"], values["current_source"] = _measure(current)
        values |= {
            "baseline_date": shifted(baseline.last_day, shift) if baseline else "",
            "trial_comparable": _flag(outcome.trial_comparable),
            "change_points": _number(change.points if change else None),
            "change_percent": _number(change.percent if change else None, 1),
            "outcome_status": outcome.status.value,
            "responder_30": _flag(outcome.responder_30),
            "responder_50": _flag(outcome.responder_50),
            "pain_free_or_nearly": _flag(outcome.pain_free_or_nearly),
            "worsening": _flag(outcome.worsening),
        }
    for follow_up in member.follow_ups:
        key = follow_up.time_point.value
        pain, source = _measure(follow_up.measure)
        values |= {
            f"{key}_due": shifted(follow_up.due_on, shift),
            f"{key}_status": follow_up.status.value,
            f"{key}_pain": pain,
            f"{key}_source": source,
            f"{key}_responder_30": _flag(follow_up.change.responder_30 if follow_up.change else None),
            f"{key}_responder_50": _flag(follow_up.change.responder_50 if follow_up.change else None),
            f"{key}_pain_free_or_nearly": _flag(follow_up.pain_free_or_nearly),
        }
    return values | _scores(member.scores, shift)


def research_csv(session: Session, actor: User, filters: cohorts.CohortFilter, *, secret: str) -> str:
    """The de-identified CSV of the actor's cohort, of the patients who consent to research now; each patient
    in it gets an ``export`` audit row."""
    consenting = set(session.scalars(consented_patient_ids(ConsentKind.RESEARCH)))
    found = [m for m in cohorts.members(session, actor, filters) if m.patient_id in consenting]
    rows = sorted((row(m, secret=secret, as_of=filters.as_of) for m in found), key=lambda r: r["research_id"])
    for member in found:
        audit.record(
            session,
            actor,
            AuditAction.EXPORT,
            "research_csv",
            resource_id=member.patient_id,
            patient_id=member.patient_id,
        )
    audit.record(session, actor, AuditAction.EXPORT, "research_csv", resource_id=f"{len(found)} patients")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
