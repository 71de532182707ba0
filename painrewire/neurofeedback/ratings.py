"""Pain before and after each neurofeedback session, the side effects after it, and the notes they raise.

Before a session starts the patient gives their pain now (0-10); after it ends, their pain now again and a
short checklist of the side effects reported for neurofeedback: headache, tiredness, feeling wired or anxious
(over-aroused), trouble sleeping since the last session, and anything else (Hammond DC, Kirk L, "First, do no
harm: adverse effects and the need for practice standards in neurofeedback", J Neurotherapy 2008;12(1):79-88;
headache, fatigue and drowsiness are also the ones the chronic-pain review of Patel et al. 2020 lists). Each
one the patient had is rated mild, moderate or severe. The patient answers on their own screen, or a clinician
on the care team enters what the patient told them; each answer keeps who gave it and when.

A run of side effects raises a note on the care team's home page (``side_effect_notes``): over the patient's
last ``RUN_SESSIONS`` (3) sessions with an after-session answer, the same side effect in at least ``RUN_COUNT``
(2) of them, or any one rated severe. These numbers are a working rule for prompting a review, not a validated
threshold: Hammond and Kirk describe adverse effects that are usually mild and pass once the protocol is
changed, which is what a repeated or severe one should prompt the practitioner to consider.

Ratings in an n-of-1 series are its outcome; once the series is unblinded they can no longer be changed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.neurofeedback import service
from painrewire.neurofeedback.models import (
    NeurofeedbackRating,
    NeurofeedbackSeries,
    NeurofeedbackSession,
    Severity,
    SideEffect,
)
from painrewire.neurofeedback.schemas import RatingAfter, RatingBefore
from painrewire.patients import access
from painrewire.patients.models import Patient

#: The run rule: the same side effect in RUN_COUNT of the last RUN_SESSIONS answered sessions, or any severe.
RUN_SESSIONS = 3
RUN_COUNT = 2
#: Sessions older than this raise no note on the home page.
NOTE_DAYS = 90

SIDE_EFFECT_LABELS: dict[str, str] = {
    SideEffect.HEADACHE.value: "headache",
    SideEffect.TIREDNESS.value: "tiredness",
    SideEffect.WIRED.value: "feeling wired or anxious",
    SideEffect.SLEEP.value: "trouble sleeping since the last session",
}
SEVERITY_ORDER = {Severity.MILD.value: 1, Severity.MODERATE.value: 2, Severity.SEVERE.value: 3}


def _session_for(session: Session, actor: User, session_id: uuid.UUID) -> NeurofeedbackSession:
    """The session the actor may rate: the patient their own, a clinician one of their care team's."""
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, action=AuditAction.UPDATE, resource_type="nfb_rating")
        row = session.get(NeurofeedbackSession, session_id)
        if row is None or row.patient_id != patient.id:
            raise NotFound("No such neurofeedback session.")
        return row
    if actor.role != Role.CLINICIAN:
        raise Forbidden("Pain and side effects are given by the patient, or entered by their care team.")
    return service.get_session(
        session, actor, session_id, action=AuditAction.UPDATE, resource_type="nfb_rating"
    )


def rating_of(session: Session, row: NeurofeedbackSession) -> NeurofeedbackRating | None:
    return session.scalar(select(NeurofeedbackRating).where(NeurofeedbackRating.session_id == row.id))


def ratings_for(session: Session, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, NeurofeedbackRating]:
    """The ratings of these sessions, by session id (access already checked)."""
    if not session_ids:
        return {}
    rows = session.scalars(select(NeurofeedbackRating).where(NeurofeedbackRating.session_id.in_(session_ids)))
    return {r.session_id: r for r in rows}


def _rating_row(session: Session, row: NeurofeedbackSession) -> NeurofeedbackRating:
    rating = rating_of(session, row)
    if rating is None:
        rating = NeurofeedbackRating(session_id=row.id, patient_id=row.patient_id, side_effects={})
        session.add(rating)
    return rating


def _not_frozen(session: Session, row: NeurofeedbackSession) -> None:
    if row.series_id is None:
        return
    series = session.get(NeurofeedbackSeries, row.series_id)
    if series is not None and series.unblinded_at is not None:
        raise Conflict(
            "This session belongs to an n-of-1 series that has been unblinded: its ratings are the series' "
            "result and can no longer be changed."
        )


def _parse(model: type[RatingBefore] | type[RatingAfter], data: object) -> RatingBefore | RatingAfter:
    """Check an answer given as plain data (a form), with the field named in the message."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error.get("loc", ())) or "input"
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if not message.startswith(f"{field}:"):
            message = f"{field}: {message}"
        raise InvalidInput(message, field=field.split(".")[0] or None) from None


def record_before(
    session: Session,
    actor: User,
    session_id: uuid.UUID,
    data: RatingBefore | dict[str, object],
    *,
    now: datetime | None = None,
) -> NeurofeedbackRating:
    """Pain now before the session: taken until training (baseline and feedback) starts."""
    answer = _parse(RatingBefore, data)
    assert isinstance(answer, RatingBefore)
    row = _session_for(session, actor, session_id)
    if row.status not in service.ACTIVE or row.training_started_at is not None:
        raise Conflict(
            "Pain before a session is asked before it starts; this session has already begun or ended."
        )
    _not_frozen(session, row)
    rating = _rating_row(session, row)
    rating.pain_before = answer.pain_before
    rating.before_at = now or utcnow()
    rating.before_by_id = actor.id
    session.flush()
    return rating


def record_after(
    session: Session,
    actor: User,
    session_id: uuid.UUID,
    data: RatingAfter | dict[str, object],
    *,
    now: datetime | None = None,
) -> NeurofeedbackRating:
    """Pain now after the session, and the side-effect checklist: taken once the session has ended."""
    answer = _parse(RatingAfter, data)
    assert isinstance(answer, RatingAfter)
    row = _session_for(session, actor, session_id)
    if row.status in service.ACTIVE:
        raise Conflict("The questions after a session open once it has ended; this session is still going.")
    _not_frozen(session, row)
    rating = _rating_row(session, row)
    rating.pain_after = answer.pain_after
    rating.side_effects = {effect.value: severity.value for effect, severity in answer.side_effects.items()}
    rating.other_text = answer.other_text
    rating.other_severity = answer.other_severity
    rating.after_at = now or utcnow()
    rating.after_by_id = actor.id
    session.flush()
    return rating


def describe(rating: NeurofeedbackRating | None) -> list[str]:
    """The side effects of an after-session answer in words, e.g. ``["headache (mild)"]``."""
    if rating is None or rating.after_at is None:
        return []
    words = [
        f"{label} ({rating.side_effects[effect]})"
        for effect, label in SIDE_EFFECT_LABELS.items()
        if effect in rating.side_effects
    ]
    if rating.other_text:
        severity = rating.other_severity.value if rating.other_severity else "not rated"
        words.append(f"{rating.other_text} ({severity})")
    return words


# -- the run rule --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideEffectNote:
    """Why a patient's side effects need a look, in words, with the sessions it rests on."""

    patient: Patient
    reasons: list[str]
    sessions: list[NeurofeedbackSession]


def run_reasons(answered: list[tuple[NeurofeedbackSession, NeurofeedbackRating]]) -> list[str]:
    """The run rule over a patient's answered sessions, newest first (only the newest RUN_SESSIONS count)."""
    recent = answered[:RUN_SESSIONS]
    reasons: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    for _, rating in recent:
        for effect in rating.side_effects:
            counts[effect] += 1
    for effect, label in SIDE_EFFECT_LABELS.items():
        if counts.get(effect, 0) >= RUN_COUNT:
            reasons.append(f"{label.capitalize()} after {counts[effect]} of the last {len(recent)} sessions.")
    for row, rating in recent:
        severe = [
            SIDE_EFFECT_LABELS.get(e, e) for e, s in rating.side_effects.items() if s == Severity.SEVERE.value
        ]
        if rating.other_text and rating.other_severity is Severity.SEVERE:
            severe.append(rating.other_text)
        if severe:
            day = f"{row.created_at:%d %b %Y}"
            reasons.append(f"Rated severe after the session of {day}: {', '.join(severe)}.")
    return reasons


def side_effect_notes(session: Session, actor: User, *, now: datetime | None = None) -> list[SideEffectNote]:
    """Patients on the clinician's care teams whose recent sessions show a run of side effects."""
    if actor.role != Role.CLINICIAN:
        return []
    since = (now or utcnow()) - timedelta(days=NOTE_DAYS)
    stmt = (
        select(NeurofeedbackSession, NeurofeedbackRating)
        .join(NeurofeedbackRating, NeurofeedbackRating.session_id == NeurofeedbackSession.id)
        .where(
            NeurofeedbackSession.patient_id.in_(access.visible_patient_ids(actor)),
            NeurofeedbackRating.after_at.is_not(None),
            NeurofeedbackSession.created_at >= since,
        )
        .order_by(NeurofeedbackSession.patient_id, NeurofeedbackSession.created_at.desc())
    )
    answered: dict[uuid.UUID, list[tuple[NeurofeedbackSession, NeurofeedbackRating]]] = defaultdict(list)
    for row, rating in session.execute(stmt):
        answered[row.patient_id].append((row, rating))
    flagged = {pid: reasons for pid, rows in answered.items() if (reasons := run_reasons(rows))}
    if not flagged:
        return []
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_(list(flagged))).options(joinedload(Patient.user))
        )
    }
    notes = [
        SideEffectNote(patients[pid], reasons, [r for r, _ in answered[pid][:RUN_SESSIONS]])
        for pid, reasons in flagged.items()
        if pid in patients
    ]
    audit.record_shown(session, actor, "nfb_rating", [n.patient.id for n in notes], reason="side effects")
    return sorted(notes, key=lambda n: n.patient.user.full_name)
