"""n-of-1 series: does real neurofeedback lower this patient's pain more than sham?

A clinician on the care team plans a series for a patient who has consented to blinded sessions: ``blocks``
blocks of one real and one sham session, in an order drawn at random within each block (``nof1``), seeded and
stored. Each session of the series is set up like any other, with the headset chosen then; its protocol,
timing and eyes condition come from the series, and whether it is sham from the stored sequence. A sham session
replays the rewards of the patient's latest completed real session (``sham``), as any sham session does.

Blind: while the series runs, neither the patient's screens (which never say sham) nor the care team's say which
session was which: the sessions are marked ``blinded``, the API leaves ``sham`` out, the console shows no metric,
threshold or inhibit (a sham reward that ignores them would tell), and the recordings, which say sham, cannot be
downloaded. Once every session is done (or the series was stopped), a clinician unblinds it: recorded with who
and when, and audited. Only then is the comparison shown: pain change (after minus before) in real against sham
sessions, with the exact randomisation test over the actual scheme, and plain words about what so few sessions
can and cannot show.

Consent: no series, and no sham session, starts without the patient's current consent to blinded sessions
(``painrewire.consent``). A consent withdrawn mid-series stops the series: its remaining sessions are cancelled,
and a sham session running live is stopped at the live loop's next check (``live.hub.LiveHub``, once a minute).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.neurofeedback import ratings, service
from painrewire.neurofeedback.models import (
    NeurofeedbackRating,
    NeurofeedbackSeries,
    NeurofeedbackSession,
    SeriesStatus,
    SessionStatus,
)
from painrewire.neurofeedback.schemas import ReportSession, SeriesCreate, SeriesReportRead, SessionCreate
from painrewire.neurofeedback.signal import nof1
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.patients import access
from painrewire.patients.models import Patient

NOT_FOUND_MESSAGE = "No such n-of-1 series, or you are not on this patient's care team."
WITHDRAWN_REASON = (
    "The patient withdrew consent to blinded sessions: the series stopped and its remaining sessions were "
    "cancelled."
)
#: What a sham session stopped by a withdrawn consent says.
WITHDRAWN_SESSION_REASON = "Stopped: the patient withdrew consent to blinded sessions."


class SeriesStopped(Conflict):
    """The series stopped as the request came (consent withdrawn); the stop itself is kept."""

    def __init__(self, message: str) -> None:
        super().__init__(message, keep_changes=True)


@dataclass(frozen=True)
class SlotState:
    """One planned session of a series, as the care team may see it (the arm only once unblinded)."""

    slot: int
    block: int
    session: NeurofeedbackSession | None
    rating: NeurofeedbackRating | None
    state: str  # done / next / to do / cancelled
    arm: str | None


@dataclass(frozen=True)
class Progress:
    series: NeurofeedbackSeries
    slots: list[SlotState]
    done: int
    next_slot: int | None
    missing_ratings: list[NeurofeedbackSession]

    @property
    def planned(self) -> int:
        return len(self.slots)


# -- reading ----------------------------------------------------------------------------------------------------


def get_series(
    session: Session,
    actor: User,
    series_id: uuid.UUID,
    *,
    action: AuditAction = AuditAction.READ,
    resource_type: str = "nfb_series",
) -> NeurofeedbackSeries:
    """A series of a patient on the clinician's care team (audited)."""
    service.require_clinician(actor)
    row = session.get(NeurofeedbackSeries, series_id)
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    try:
        access.patient_for(
            session, actor, row.patient_id, action=action, resource_type=resource_type, resource_id=row.id
        )
    except NotFound:
        raise NotFound(NOT_FOUND_MESSAGE) from None
    return row


def series_of_patient(session: Session, patient: Patient) -> list[NeurofeedbackSeries]:
    """A patient's series, newest first (access already checked); a running one whose consent was withdrawn
    is stopped first, and a finished one marked complete."""
    enforce_consent(session, patient.id)
    rows = list(
        session.scalars(
            select(NeurofeedbackSeries)
            .where(NeurofeedbackSeries.patient_id == patient.id)
            .order_by(NeurofeedbackSeries.created_at.desc())
        )
    )
    for row in rows:
        if row.status is SeriesStatus.RUNNING:
            progress(session, row)
    return rows


def series_sessions(session: Session, series: NeurofeedbackSeries) -> list[NeurofeedbackSession]:
    return list(
        session.scalars(
            select(NeurofeedbackSession)
            .where(NeurofeedbackSession.series_id == series.id)
            .order_by(NeurofeedbackSession.created_at)
        )
    )


def progress(session: Session, series: NeurofeedbackSeries, *, now: datetime | None = None) -> Progress:
    """Each planned session's state; a running series whose every session is done is marked complete."""
    rows = series_sessions(session, series)
    completed: dict[int, NeurofeedbackSession] = {}
    for row in rows:
        if row.status is SessionStatus.COMPLETED and row.series_slot is not None:
            completed[row.series_slot] = row  # the latest completed one of a slot counts
    live = next((r for r in rows if r.status in service.ACTIVE), None)
    found = ratings.ratings_for(session, [r.id for r in completed.values()])
    planned = 2 * series.blocks
    next_slot = next((s for s in range(planned) if s not in completed), None)
    if series.status is SeriesStatus.RUNNING and next_slot is None:
        series.status = SeriesStatus.COMPLETE
        series.completed_at = now or utcnow()
        session.flush()
    unblinded = series.unblinded_at is not None
    slots: list[SlotState] = []
    for slot in range(planned):
        done_row = completed.get(slot)
        if done_row is not None:
            state = "done"
        elif series.status is SeriesStatus.STOPPED:
            state = "cancelled"
        elif slot == next_slot:
            state = "running" if live is not None and live.series_slot == slot else "next"
        else:
            state = "to do"
        slots.append(
            SlotState(
                slot=slot,
                block=slot // 2 + 1,
                session=done_row if done_row is not None else (live if state == "running" else None),
                rating=found.get(done_row.id) if done_row is not None else None,
                state=state,
                arm=series.arms[slot] if unblinded else None,
            )
        )
    missing = [
        s.session
        for s in slots
        if s.state == "done"
        and s.session is not None
        and (s.rating is None or s.rating.pain_before is None or s.rating.pain_after is None)
    ]
    return Progress(series, slots, len(completed), next_slot, missing)


# -- consent --------------------------------------------------------------------------------------------------


def enforce_consent(session: Session, patient_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """Stop the patient's running series if their consent to blinded sessions is no longer current.

    Returns whether a series was stopped.
    """
    running = session.scalar(
        select(NeurofeedbackSeries).where(
            NeurofeedbackSeries.patient_id == patient_id, NeurofeedbackSeries.status == SeriesStatus.RUNNING
        )
    )
    if running is None or service.has_blinded_consent(session, patient_id):
        return False
    _stop(running, WITHDRAWN_REASON, now=now)
    session.flush()
    return True


def sham_sessions_without_consent(
    session: Session, session_ids: list[uuid.UUID], *, now: datetime | None = None
) -> list[uuid.UUID]:
    """Of these live sessions, the sham ones whose patient no longer consents to blinded sessions; their
    patients' running series are stopped. (The live loop's check, once a minute, for all its sessions at once.)"""
    if not session_ids:
        return []
    rows = session.execute(
        select(NeurofeedbackSession.id, NeurofeedbackSession.patient_id).where(
            NeurofeedbackSession.id.in_(session_ids), NeurofeedbackSession.sham.is_(True)
        )
    )
    stop: list[uuid.UUID] = []
    checked: dict[uuid.UUID, bool] = {}
    for session_id, patient_id in rows:
        if patient_id not in checked:
            checked[patient_id] = service.has_blinded_consent(session, patient_id)
            if not checked[patient_id]:
                enforce_consent(session, patient_id, now=now)
        if not checked[patient_id]:
            stop.append(session_id)
    return stop


# -- planning and running -------------------------------------------------------------------------------------


def plan_series(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: SeriesCreate,
    *,
    now: datetime | None = None,
    seed: int | None = None,
) -> NeurofeedbackSeries:
    """Plan a randomised series of real and sham sessions for a patient who consented to blinded sessions."""
    service.require_clinician(actor)
    now = now or utcnow()
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="nfb_series"
    )
    if not service.has_blinded_consent(session, patient.id):
        raise Conflict(
            f"{patient.user.full_name} has not consented to blinded sessions. A series includes sham sessions, "
            "so it needs that consent first."
        )
    if not [s for s in service.replayable_sessions(session, patient.id) if s.hop_rewards]:
        raise Conflict(
            "A series needs one completed live session first: its sham sessions replay the rewards of the "
            "patient's latest real session."
        )
    for existing in series_of_patient(session, patient):
        if existing.status is SeriesStatus.RUNNING:
            raise Conflict(
                f"{patient.user.full_name} already has an n-of-1 series running; finish or stop it first."
            )
    try:
        protocol = get_protocol(data.protocol, channels=data.channels, eyes=data.eyes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="channels") from exc
    seed = secrets.randbits(62) if seed is None else int(seed)
    row = NeurofeedbackSeries(
        patient_id=patient.id,
        practitioner_id=actor.id,
        protocol=protocol.name,
        channels=list(data.channels) if data.channels else None,
        eyes=protocol.eyes,
        planned_seconds=round(data.duration_seconds),
        baseline_seconds=round(data.baseline_seconds),
        target_reward_rate=float(data.target_reward_rate),
        blocks=data.blocks,
        seed=seed,
        arms=nof1.randomise_blocks(data.blocks, seed),
        status=SeriesStatus.RUNNING,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            f"{patient.user.full_name} already has an n-of-1 series running; finish or stop it first."
        ) from None
    return row


def start_session(
    session: Session, actor: User, series_id: uuid.UUID, data: SessionCreate, *, now: datetime | None = None
) -> NeurofeedbackSession:
    """Set up the series' next session: the headset from ``data``; protocol, timing, eyes and arm from the series."""
    series = get_series(session, actor, series_id, action=AuditAction.CREATE, resource_type="nfb_session")
    if enforce_consent(session, series.patient_id, now=now):
        raise SeriesStopped(WITHDRAWN_REASON)
    state = progress(session, series, now=now)
    if series.status is not SeriesStatus.RUNNING or state.next_slot is None:
        raise Conflict(f"This series is {series.status.value}: it has no session left to run.")
    slot = state.next_slot
    planned = data.model_copy(
        update={
            "protocol": series.protocol,
            "channels": list(series.channels) if series.channels else None,
            "eyes": series.eyes,
            "duration_seconds": float(series.planned_seconds),
            "baseline_seconds": float(series.baseline_seconds),
            "target_reward_rate": float(series.target_reward_rate),
            "sham": series.arms[slot] == nof1.SHAM,
            "sham_source_id": None,
            "series_id": series.id,
        }
    )
    return service.create_session(
        session, actor, series.patient_id, planned, now=now, series=service.SeriesSlot(series.id, slot)
    )


def _stop(series: NeurofeedbackSeries, reason: str, *, now: datetime | None) -> None:
    series.status = SeriesStatus.STOPPED
    series.stopped_at = now or utcnow()
    series.stop_reason = reason[:2000]


def stop_series(
    session: Session, actor: User, series_id: uuid.UUID, *, reason: str = "", now: datetime | None = None
) -> NeurofeedbackSeries:
    """Stop a running series early; sessions not yet run are cancelled (a session running now carries on)."""
    series = get_series(session, actor, series_id, action=AuditAction.UPDATE)
    progress(session, series, now=now)
    if series.status is not SeriesStatus.RUNNING:
        raise Conflict(f"This series is already {series.status.value}.")
    _stop(series, reason.strip() or f"Stopped by {actor.full_name}.", now=now)
    session.flush()
    return series


def unblind_series(
    session: Session,
    actor: User,
    series_id: uuid.UUID,
    *,
    accept_missing_ratings: bool = False,
    now: datetime | None = None,
) -> NeurofeedbackSeries:
    """Reveal which sessions were real and which sham, once the series is over; recorded and audited."""
    series = get_series(session, actor, series_id, action=AuditAction.READ)
    state = progress(session, series, now=now)
    if series.unblinded_at is not None:
        raise Conflict("This series is already unblinded.")
    if series.status is SeriesStatus.RUNNING:
        raise Conflict(
            f"The series is still running ({state.done} of {state.planned} sessions done): it is unblinded once "
            "every session is done, or after it is stopped."
        )
    if state.missing_ratings and not accept_missing_ratings:
        raise Conflict(
            f"{len(state.missing_ratings)} session(s) of the series lack the patient's pain before or after; "
            "their blocks would be left out of the comparison. Enter the ratings first, or unblind accepting that."
        )
    access.patient_for(
        session,
        actor,
        series.patient_id,
        action=AuditAction.UPDATE,
        resource_type="nfb_series_unblinding",
        resource_id=series.id,
    )
    series.unblinded_at = now or utcnow()
    series.unblinded_by_id = actor.id
    session.execute(
        update(NeurofeedbackSession).where(NeurofeedbackSession.series_id == series.id).values(blinded=False)
    )
    session.flush()
    return series


# -- the report -------------------------------------------------------------------------------------------------


def series_report(session: Session, actor: User, series_id: uuid.UUID) -> SeriesReportRead:
    """The comparison of an unblinded series: pain change in real against sham sessions, tested exactly."""
    series = get_series(session, actor, series_id, resource_type="nfb_series_report")
    if series.unblinded_at is None:
        raise Conflict("The comparison is shown once the series is over and unblinded.")
    state = progress(session, series)
    rows: list[ReportSession] = []
    real: list[float] = []
    sham: list[float] = []
    left_out: list[int] = []
    for block in range(series.blocks):
        pair = state.slots[2 * block : 2 * block + 2]
        changes: dict[str, int] = {}
        for slot in pair:
            rating, row = slot.rating, slot.session
            change = None
            if rating is not None and rating.pain_before is not None and rating.pain_after is not None:
                change = rating.pain_after - rating.pain_before
            if row is not None and slot.state == "done":
                rows.append(
                    ReportSession(
                        session_id=row.id,
                        slot=slot.slot,
                        arm=series.arms[slot.slot],
                        when=row.created_at,
                        pain_before=rating.pain_before if rating else None,
                        pain_after=rating.pain_after if rating else None,
                        change=change,
                    )
                )
            if change is not None:
                changes[series.arms[slot.slot]] = change
        if len(changes) == 2:
            real.append(changes[nof1.REAL])
            sham.append(changes[nof1.SHAM])
        else:
            left_out.append(block + 1)
    notes = _report_notes(series.blocks, real, sham, left_out)
    if not real:
        return SeriesReportRead(
            series_id=series.id,
            blocks_planned=series.blocks,
            blocks_used=0,
            n_real=0,
            n_sham=0,
            mean_change_real=None,
            mean_change_sham=None,
            mean_difference=None,
            p_value=None,
            p_value_two_sided=None,
            smallest_possible_p=None,
            assignments=None,
            sessions=rows,
            notes=notes,
        )
    test = nof1.block_randomisation_test(real, sham, alternative="less")
    both = nof1.block_randomisation_test(real, sham, alternative="two-sided")
    return SeriesReportRead(
        series_id=series.id,
        blocks_planned=series.blocks,
        blocks_used=test.blocks,
        n_real=len(real),
        n_sham=len(sham),
        mean_change_real=test.mean_real,
        mean_change_sham=test.mean_sham,
        mean_difference=test.difference,
        p_value=test.p_value,
        p_value_two_sided=both.p_value,
        smallest_possible_p=test.smallest_p,
        assignments=test.assignments,
        sessions=rows,
        notes=notes,
    )


def _report_notes(planned: int, real: list[float], sham: list[float], left_out: list[int]) -> list[str]:
    """What the numbers can and cannot say, in plain words."""
    notes = [
        "Pain change is the patient's pain now after a session minus their pain now before it (0-10): below "
        "zero is relief. The test compares real with sham sessions block by block, over every order the "
        "randomisation could have produced, so it assumes nothing about how pain ratings are distributed."
    ]
    if left_out:
        blocks = ", ".join(str(b) for b in left_out)
        notes.append(
            f"Block{'s' if len(left_out) > 1 else ''} {blocks} of {planned} lacked a session or a rating before "
            "or after, and are left out of the comparison."
        )
    k = len(real)
    if k == 0:
        notes.append("No block has both sessions rated, so there is nothing to compare.")
        return notes
    assignments = 2**k
    smallest = 1 / assignments
    sentence = f"With {k} block{'s' if k > 1 else ''} the smallest possible p-value is 1/{assignments} = {smallest:.3g}"
    if smallest >= 0.05:
        sentence += (
            ": this comparison could not reach p < 0.05 whatever the ratings were (5 blocks are the fewest that "
            "can)."
        )
    else:
        sentence += "."
    notes.append(sentence)
    ties = sum(1 for r, s in zip(real, sham, strict=True) if r == s)
    if ties:
        notes.append(
            f"In {ties} block{'s' if ties > 1 else ''} the real and the sham session changed pain by the same "
            f"amount; such a block cannot move the test, so the smallest p these data could give is "
            f"1/{2 ** (k - ties)}."
        )
    notes.append(
        "A p-value above 0.05 does not show that real sessions do nothing for this patient, and one below it "
        "does not show that they help over weeks: each block compares pain right after two single sessions, "
        "and ratings move with expectation and with the day, which the blind balances but cannot remove."
    )
    notes.append(
        "For scale: in chronic-pain trials a change of about 2 points (or 30 %) on a 0-10 scale is taken as "
        "moderately important (IMMPACT, Dworkin 2008), for pain over weeks rather than minutes after a session."
    )
    return notes
