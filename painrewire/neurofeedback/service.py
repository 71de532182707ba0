"""Neurofeedback sessions in the patient record: set-up and access, notes, what the live loop stores, review.

Two kinds of caller:

* people (``actor``): a clinician on the care team sets a session up, adds notes, reviews and exports it;
  the patient sees their own sessions, never whether one was sham. Every read and write goes through
  ``access.patient_for`` / ``access.own_patient``.
* the live loop (``live.runner.LiveRunner``), which owns a session once it runs: it records when the headset
  opened, the signal check, the start of training and the outcome (summary, latency, EDF+ recording). Its
  functions take a session id and no actor; the practitioner who started the session was checked then.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.clearance import gate
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from painrewire.neurofeedback.models import NeurofeedbackNote, NeurofeedbackSession, SessionStatus
from painrewire.neurofeedback.recording import review
from painrewire.neurofeedback.schemas import SessionCreate, SourceKind
from painrewire.neurofeedback.signal.protocols import PROTOCOLS, get_protocol
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.practice.models import Module
from painrewire.practice.service import log_practice

ACTIVE = (SessionStatus.PLANNED, SessionStatus.CHECKING, SessionStatus.RUNNING)
#: The live loop's process refreshes ``heartbeat_at`` this often ...
HEARTBEAT_SECONDS = 10.0
#: ... and a session whose heartbeat is older than this has lost its process (a crash or a restart).
STALE_SECONDS = 60.0
NOT_FOUND_MESSAGE = "No such neurofeedback session, or you are not on this patient's care team."
ORPHANED_REASON = (
    "The server running this session stopped; what was recorded until then is kept if it could be."
)


class SessionNotLive(Conflict):
    """The session is not running (not yet, or any more), so live commands cannot reach it."""


class SessionAlreadyActive(Conflict):
    """The patient already has a session set up or running."""


class LiveServerBusy(Unavailable):
    """This server process cannot run another live session without making the feedback of the others late."""


def protocol_title(code: str) -> str:
    protocol = PROTOCOLS.get(code)
    return protocol.title if protocol else code


def patient_code(patient_id: uuid.UUID) -> str:
    """The pseudonym in a recording's header and a BIDS export: never a name."""
    return f"PR{patient_id.hex[:8]}"


def _clinician(actor: User) -> None:
    if actor.role != Role.CLINICIAN:
        raise Forbidden("Neurofeedback sessions are run by a clinician on the patient's care team.")


require_clinician = _clinician


def has_blinded_consent(session: Session, patient_id: uuid.UUID) -> bool:
    """Whether the patient currently consents to blinded sessions (some sessions sham, not said which)."""
    return consent.has_consent(session, patient_id, ConsentKind.BLINDED_NEUROFEEDBACK)


@dataclass(frozen=True)
class SeriesSlot:
    """Where a new session goes in an n-of-1 series (``series``)."""

    series_id: uuid.UUID
    slot: int


# -- people ------------------------------------------------------------------------------------------------


def get_session(
    session: Session,
    actor: User,
    session_id: uuid.UUID,
    *,
    action: AuditAction = AuditAction.READ,
    resource_type: str = "nfb_session",
) -> NeurofeedbackSession:
    """A session the actor may see (the patient their own; a clinician those of their care team), audited."""
    row = session.get(NeurofeedbackSession, session_id)
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    try:
        access.patient_for(
            session, actor, row.patient_id, action=action, resource_type=resource_type, resource_id=row.id
        )
    except NotFound:
        raise NotFound(NOT_FOUND_MESSAGE) from None
    return row


def own_session(session: Session, actor: User, session_id: uuid.UUID) -> tuple[Patient, NeurofeedbackSession]:
    """The logged-in patient's own session."""
    patient = access.own_patient(session, actor, resource_type="nfb_session")
    row = session.get(NeurofeedbackSession, session_id)
    if row is None or row.patient_id != patient.id:
        raise NotFound("No such neurofeedback session.")
    return patient, row


def create_session(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: SessionCreate,
    *,
    now: datetime | None = None,
    series: SeriesSlot | None = None,
) -> NeurofeedbackSession:
    """Set a session up for a patient; the live loop (started once this is committed) opens the headset.

    A sham session needs the patient's current consent to blinded sessions. A session of an n-of-1 series
    (``series``, set by ``series.start_session``) is blinded: the care team is not told whether it is sham.

    Refused while practice is closed for the patient (`painrewire.clearance.gate`: no intake, an open safety
    alert, or no clearance that opens neurofeedback), or while the patient has a session set up or running
    already (the database settles two practitioners starting at once).
    """
    _clinician(actor)
    now = now or utcnow()
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="nfb_session"
    )
    gate.ensure_practice_open(session, actor, patient, Module.NEUROFEEDBACK)
    settle_orphans(session, patient_id=patient.id, now=now)
    if data.series_id is not None and series is None:
        raise InvalidInput(
            "A session of an n-of-1 series is started from the series, which decides what it runs.",
            field="series_id",
        )
    if data.sham and not has_blinded_consent(session, patient.id):
        raise Conflict(
            f"{patient.user.full_name} has not consented to blinded sessions, so no sham session can start. "
            "Their consent is recorded on their consent page."
        )
    try:
        protocol = get_protocol(data.protocol, channels=data.channels, eyes=data.eyes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="channels") from exc
    session_id = uuid.uuid4()
    params = _source_params(session, actor, patient, data, session_id)
    sham_source = _sham_source(session, patient, data) if data.sham else None
    row = NeurofeedbackSession(
        id=session_id,
        patient_id=patient.id,
        practitioner_id=actor.id,
        protocol=protocol.name,
        channels=list(data.channels) if data.channels else None,
        source=data.source.value,
        board_id=data.board_id if data.source is SourceKind.BRAINFLOW else None,
        source_params=params,
        planned_seconds=round(data.duration_seconds),
        baseline_seconds=round(data.baseline_seconds),
        check_seconds=float(data.check_seconds),
        target_reward_rate=float(data.target_reward_rate),
        line_freq=float(data.line_freq),
        eyes=protocol.eyes,
        sham=data.sham,
        sham_source_id=sham_source.id if sham_source else None,
        series_id=series.series_id if series else None,
        series_slot=series.slot if series else None,
        blinded=series is not None,
        status=SessionStatus.PLANNED,
        heartbeat_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise SessionAlreadyActive(
            f"{patient.user.full_name} already has a neurofeedback session set up or running; stop it first."
        ) from None
    return row


def _source_params(
    session: Session, actor: User, patient: Patient, data: SessionCreate, session_id: uuid.UUID
) -> dict[str, Any]:
    """Check the headset choice and return what the live loop needs to open it.

    A playback session plays one of this patient's own recordings, as a sham session replays one of their
    own sessions: played into another patient's record, one patient's EEG would become downloadable by
    that patient's care team.
    """
    from painrewire.neurofeedback.sources.base import SourceError
    from painrewire.neurofeedback.sources.brainflow import SYNTHETIC_BOARD_ID, BrainFlowSource
    from painrewire.neurofeedback.sources.lsl import LSLSource

    if data.source is SourceKind.BRAINFLOW:
        params: dict[str, Any] = {
            "serial_port": data.serial_port.strip(),
            "mac_address": data.mac_address.strip(),
            "ip_address": data.ip_address.strip(),
            "ip_port": data.ip_port,
            "serial_number": data.serial_number.strip(),
            "other_info": data.other_info.strip(),
        }
        if data.board_id == SYNTHETIC_BOARD_ID and not params["other_info"]:
            # BrainFlow opens a board once per set of parameters: this lets several synthetic sessions run.
            params["other_info"] = f"painrewire-{session_id.hex}"
        try:
            BrainFlowSource(data.board_id, **params)
        except (SourceError, ValueError) as exc:
            raise InvalidInput(str(exc), field="board_id") from exc
        return params
    if data.source is SourceKind.LSL:
        params = {
            "name": data.lsl_name.strip() or None,
            "stream_type": data.lsl_type.strip() or "EEG",
            "source_id": data.lsl_source_id.strip() or None,
        }
        try:
            LSLSource(**params)
        except (SourceError, ValueError) as exc:
            raise InvalidInput(str(exc), field="lsl_name") from exc
        return params
    assert data.playback_session_id is not None  # the schema requires it for playback
    try:
        played = get_session(session, actor, data.playback_session_id)
    except NotFound as exc:
        raise InvalidInput(
            "There is no recording to play with that id.", field="playback_session_id"
        ) from exc
    if played.patient_id != patient.id:
        raise InvalidInput(
            "A playback session plays one of this patient's own recordings; that one is another patient's.",
            field="playback_session_id",
        )
    if played.recording_seconds is None:
        raise InvalidInput("That session has no recording to play.", field="playback_session_id")
    return {"session_id": str(played.id)}


def replayable_sessions(session: Session, patient_id: uuid.UUID) -> list[NeurofeedbackSession]:
    """Earlier completed live sessions of a patient whose rewards a sham session can replay, newest first."""
    return list(
        session.scalars(
            select(NeurofeedbackSession)
            .where(
                NeurofeedbackSession.patient_id == patient_id,
                NeurofeedbackSession.status == SessionStatus.COMPLETED,
                NeurofeedbackSession.sham.is_(False),
                NeurofeedbackSession.hop_rewards.is_not(None),
            )
            .order_by(NeurofeedbackSession.created_at.desc())
        )
    )


def _sham_source(session: Session, patient: Patient, data: SessionCreate) -> NeurofeedbackSession:
    candidates = [s for s in replayable_sessions(session, patient.id) if s.hop_rewards]
    if data.sham_source_id is not None:
        chosen = next((s for s in candidates if s.id == data.sham_source_id), None)
        if chosen is None:
            raise InvalidInput(
                "A sham session replays one of this patient's earlier completed live sessions; that one is not.",
                field="sham_source_id",
            )
        return chosen
    if not candidates:
        raise InvalidInput(
            "A sham session replays the rewards of an earlier live session, and this patient has none yet.",
            field="sham",
        )
    return candidates[0]


def sessions_for_patient(session: Session, patient: Patient) -> list[NeurofeedbackSession]:
    """A patient's sessions, newest first (access already checked)."""
    settle_orphans(session, patient_id=patient.id)
    return list(
        session.scalars(
            select(NeurofeedbackSession)
            .where(NeurofeedbackSession.patient_id == patient.id)
            .order_by(NeurofeedbackSession.created_at.desc())
        )
    )


def recent_board_ids(session: Session, *, limit: int = 3) -> list[int]:
    """The BrainFlow boards the clinic's sessions used lately, most recently used first.

    Equipment, not anyone's health data: no patient is named, so nothing to audit.
    """
    last_used = func.max(NeurofeedbackSession.created_at)
    rows = session.execute(
        select(NeurofeedbackSession.board_id, last_used)
        .where(
            NeurofeedbackSession.source == SourceKind.BRAINFLOW.value,
            NeurofeedbackSession.board_id.is_not(None),
        )
        .group_by(NeurofeedbackSession.board_id)
        .order_by(last_used.desc(), NeurofeedbackSession.board_id)
        .limit(limit)
    )
    return [board_id for board_id, _ in rows if board_id is not None]


@dataclass(frozen=True)
class CaseloadSession:
    session: NeurofeedbackSession
    patient: Patient


def caseload_sessions(session: Session, actor: User, *, limit: int = 100) -> list[CaseloadSession]:
    """Sessions of the patients on the clinician's care teams, live ones first, then newest first."""
    _clinician(actor)
    settle_orphans(session)
    stmt = (
        select(NeurofeedbackSession, Patient)
        .join(Patient, Patient.id == NeurofeedbackSession.patient_id)
        .where(NeurofeedbackSession.patient_id.in_(access.visible_patient_ids(actor)))
        .options(joinedload(Patient.user))
        .order_by(NeurofeedbackSession.created_at.desc())
        .limit(limit)
    )
    rows = [CaseloadSession(row[0], row[1]) for row in session.execute(stmt)]
    audit.record_shown(
        session, actor, "nfb_session", [r.patient.id for r in rows], reason="neurofeedback overview"
    )
    return sorted(rows, key=lambda r: r.session.status not in ACTIVE)


def add_note(
    session: Session, actor: User, session_id: uuid.UUID, text: str, *, now: datetime | None = None
) -> NeurofeedbackNote:
    """A practitioner's note during a session (the live loop also writes it into the recording)."""
    _clinician(actor)
    row = get_session(session, actor, session_id, action=AuditAction.CREATE, resource_type="nfb_note")
    if row.status not in (SessionStatus.CHECKING, SessionStatus.RUNNING):
        raise SessionNotLive(
            "Notes go into a session's recording while it runs; this session is not running."
        )
    if not text.strip():
        raise InvalidInput("A note needs some text.", field="text")
    now = now or utcnow()
    offset = (now - row.started_at).total_seconds() if row.started_at else 0.0
    note = NeurofeedbackNote(
        session_id=row.id, at=now, offset_seconds=max(0.0, offset), text=text.strip(), author_id=actor.id
    )
    session.add(note)
    session.flush()
    return note


def notes_for(session: Session, row: NeurofeedbackSession) -> list[NeurofeedbackNote]:
    return list(
        session.scalars(
            select(NeurofeedbackNote)
            .where(NeurofeedbackNote.session_id == row.id)
            .order_by(NeurofeedbackNote.at)
        )
    )


def latest_completed(session: Session, patient: Patient, limit: int = 3) -> list[NeurofeedbackSession]:
    return list(
        session.scalars(
            select(NeurofeedbackSession)
            .where(
                NeurofeedbackSession.patient_id == patient.id,
                NeurofeedbackSession.status == SessionStatus.COMPLETED,
            )
            .order_by(NeurofeedbackSession.created_at.desc())
            .limit(limit)
        )
    )


def live_session_of(session: Session, patient: Patient) -> NeurofeedbackSession | None:
    """The patient's session that is set up or running now, if any."""
    settle_orphans(session, patient_id=patient.id)
    return session.scalar(
        select(NeurofeedbackSession)
        .where(NeurofeedbackSession.patient_id == patient.id, NeurofeedbackSession.status.in_(ACTIVE))
        .order_by(NeurofeedbackSession.created_at.desc())
        .limit(1)
    )


# -- recordings: download, review, BIDS ---------------------------------------------------------------------


def recording_of(session: Session, actor: User, session_id: uuid.UUID) -> tuple[NeurofeedbackSession, bytes]:
    """A session's EDF+ file, for download (audited as an export)."""
    _clinician(actor)
    row = get_session(session, actor, session_id, action=AuditAction.EXPORT, resource_type="nfb_recording")
    _not_blinded(row)
    data = _edf_bytes(session, row)
    return row, data


def _not_blinded(row: NeurofeedbackSession) -> None:
    if row.blinded:
        raise Conflict(
            "This session is part of an n-of-1 series that is still blind, and its recording says whether it "
            "was sham: it can be downloaded once the series is unblinded."
        )


def _edf_bytes(session: Session, row: NeurofeedbackSession) -> bytes:
    data = session.scalar(select(NeurofeedbackSession.recording_edf).where(NeurofeedbackSession.id == row.id))
    if not data:
        raise NotFound("This session has no recording (it ended before the headset sent any EEG).")
    return bytes(data)


def _reviewed(
    session: Session, actor: User, session_id: uuid.UUID
) -> tuple[NeurofeedbackSession, review.Recording]:
    _clinician(actor)
    row = get_session(session, actor, session_id, resource_type="nfb_recording")
    if row.recording_seconds is None:
        raise NotFound("This session has no recording (it ended before the headset sent any EEG).")
    cached = review.cached(row.id)
    if cached is None:
        cached = review.remember(row.id, review.read_edf_bytes(_edf_bytes(session, row)))
    return row, cached


def review_overview(session: Session, actor: User, session_id: uuid.UUID) -> dict[str, Any]:
    row, recording = _reviewed(session, actor, session_id)
    protocol = get_protocol(row.protocol, channels=row.channels)
    overview = review.overview(recording, list(protocol.channels))
    if row.blinded:
        # Rewards beside bad or inhibited stretches (a sham session replays them regardless) would tell.
        overview["annotations"] = [
            a for a in overview["annotations"] if not _tells_sham(str(a.get("text", "")))
        ]
        overview.pop("sham", None)
    return overview


def _tells_sham(text: str) -> bool:
    return text in ("sham", "reward") or text.startswith("inhibit:")


def review_window(
    session: Session, actor: User, session_id: uuid.UUID, *, start: float, seconds: float, buckets: int
) -> dict[str, Any]:
    _, recording = _reviewed(session, actor, session_id)
    try:
        return review.window(recording, start=start, seconds=seconds, buckets=buckets)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="start") from exc


def bids_zip(
    session: Session, actor: User, session_id: uuid.UUID, *, clinic_name: str
) -> tuple[NeurofeedbackSession, bytes]:
    """The recording as a BIDS dataset (mne-bids), zipped; the subject is the patient's pseudonym.

    ``dataset_description.json`` says what the copy is: part of the clinic's health record of the patient, by
    the clinic, under no open licence (``CLINICAL_LICENCE``). No ethics approval is named: it is care, not a
    research protocol (the de-identified copy, ``bids_research_zip``, is the one for research).
    """
    from painrewire.neurofeedback.recording.bids import DatasetDescription, export_bids

    _clinician(actor)
    row = get_session(session, actor, session_id, action=AuditAction.EXPORT, resource_type="nfb_recording")
    _not_blinded(row)
    data = _edf_bytes(session, row)
    with tempfile.TemporaryDirectory(prefix="painrewire-bids-") as folder:
        edf = Path(folder) / "recording.edf"
        edf.write_bytes(data)
        root = Path(folder) / "bids"
        export_bids(
            edf,
            root,
            subject=patient_code(row.patient_id),
            session=bids_session_label(row),
            line_freq=row.line_freq,
            description=DatasetDescription(
                name=f"{clinic_name} neurofeedback recording (clinical record)",
                authors=(clinic_name,),
                licence=CLINICAL_LICENCE,
                how_to_acknowledge=(
                    f"Clinical data of {clinic_name}, not a published dataset: ask the clinic before any use "
                    "beyond the patient's care, and acknowledge the clinic in any use it permits."
                ),
            ),
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, Path("bids") / path.relative_to(root))
    return row, buffer.getvalue()


#: The terms of the clinical BIDS copy (BIDS ``License``): the clinic's own health record, not an open licence.
CLINICAL_LICENCE = (
    "Not open: identifiable clinical data, part of the clinic's health record of the patient; for the patient's "
    "care only, under the clinic's confidentiality and data-protection duties; no redistribution"
)


#: The terms a de-identified dataset is shared under (BIDS ``License``): the clinic's, not an open licence.
RESEARCH_LICENCE = (
    "Restricted: de-identified clinical data, shared only under the clinic's data-sharing agreement; "
    "no attempt to re-identify, no onward sharing"
)


def bids_research_zip(
    session: Session, actor: User, session_id: uuid.UUID, *, secret: str, clinic_name: str
) -> tuple[NeurofeedbackSession, bytes]:
    """A de-identified BIDS copy for research, beside the clinical one (``bids_zip``).

    As the research CSV does (``painrewire.interop.research``): every date moves by the patient's secret shift
    and the subject label is the patient's research id (letters and digits only, as BIDS labels are), which
    nobody can turn back into the patient without the clinic's secret key. The EDF+ header holds no patient
    code and the events no free text (notes are left out; an override keeps only that it happened).
    ``dataset_description.json`` names the clinic as author and the terms it is shared under.
    """
    from painrewire.neurofeedback.recording.bids import DatasetDescription, deidentified_edf, export_bids
    from painrewire.patients.pseudonyms import date_shift, research_id

    _clinician(actor)
    row = get_session(session, actor, session_id, action=AuditAction.EXPORT, resource_type="nfb_recording")
    _not_blinded(row)
    data = _edf_bytes(session, row)
    shift = date_shift(secret, row.patient_id)
    with tempfile.TemporaryDirectory(prefix="painrewire-bids-") as folder:
        clinical = Path(folder) / "clinical.edf"
        clinical.write_bytes(data)
        edf = deidentified_edf(clinical, Path(folder) / "recording.edf", shift=shift)
        root = Path(folder) / "bids"
        export_bids(
            edf,
            root,
            subject=research_id(secret, row.patient_id).replace("-", ""),
            session=f"{row.created_at + shift:%Y%m%d}{derived_label(secret, row.id)}",
            line_freq=row.line_freq,
            description=DatasetDescription(
                name=f"{clinic_name} neurofeedback recording (de-identified)",
                authors=(clinic_name,),
                licence=RESEARCH_LICENCE,
            ),
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, Path("bids") / path.relative_to(root))
    return row, buffer.getvalue()


def derived_label(secret: str, session_id: uuid.UUID) -> str:
    """Four hex digits that tell a patient's sessions apart without being the session's id."""
    import hashlib
    import hmac

    return hmac.new(secret.encode(), f"bids-session:{session_id}".encode(), hashlib.sha256).hexdigest()[:4]


def bids_session_label(row: NeurofeedbackSession) -> str:
    return f"{row.created_at:%Y%m%d}{row.id.hex[:4]}"


# -- the live loop ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    """Everything the live loop needs to run one session, read once when it starts."""

    session_id: uuid.UUID
    patient_id: uuid.UUID
    protocol: str
    channels: list[str] | None
    source: str
    board_id: int | None
    source_params: dict[str, Any]
    planned_seconds: float
    baseline_seconds: float
    check_seconds: float
    target_reward_rate: float
    line_freq: float
    sham_rewards: list[bool] | None
    sham_feedback: list[float] | None
    sham_label: str
    playback_edf: bytes | None
    patient_code: str
    practitioner_name: str
    eyes: str = "open"
    #: Part of an n-of-1 series not yet unblinded: the console shows nothing that would tell a sham session.
    blinded: bool = False


def run_plan(session: Session, session_id: uuid.UUID) -> RunPlan:
    row = session.get(NeurofeedbackSession, session_id)
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    if row.status is not SessionStatus.PLANNED:
        raise SessionNotLive(f"The session is {row.status.value}; only a planned session can start.")
    sham_rewards = sham_feedback = None
    sham_label = ""
    if row.sham:
        source = session.get(NeurofeedbackSession, row.sham_source_id) if row.sham_source_id else None
        if source is None or not source.hop_rewards:
            raise InvalidInput("The session this sham session was to replay is gone.", field="sham_source_id")
        sham_rewards = [bool(r) for r in source.hop_rewards]
        feedback = source.hop_feedback
        sham_feedback = (
            [float(v) for v in feedback] if feedback and len(feedback) == len(sham_rewards) else None
        )
        sham_label = f"session {source.id}"
    playback = None
    if row.source == SourceKind.PLAYBACK.value:
        played = session.get(NeurofeedbackSession, uuid.UUID(str(row.source_params["session_id"])))
        playback = bytes(_edf_bytes(session, played)) if played is not None else None
        if playback is None:
            raise InvalidInput("The recording to play is gone.", field="playback_session_id")
    practitioner = session.get(User, row.practitioner_id) if row.practitioner_id else None
    return RunPlan(
        session_id=row.id,
        patient_id=row.patient_id,
        protocol=row.protocol,
        channels=list(row.channels) if row.channels else None,
        source=row.source,
        board_id=row.board_id,
        source_params=dict(row.source_params),
        planned_seconds=float(row.planned_seconds),
        baseline_seconds=float(row.baseline_seconds),
        check_seconds=float(row.check_seconds),
        target_reward_rate=float(row.target_reward_rate),
        line_freq=float(row.line_freq),
        sham_rewards=sham_rewards,
        sham_feedback=sham_feedback,
        sham_label=sham_label,
        playback_edf=playback,
        patient_code=patient_code(row.patient_id),
        practitioner_name=practitioner.full_name if practitioner else "",
        eyes=row.eyes.value,
        blinded=row.blinded,
    )


def _row(session: Session, session_id: uuid.UUID) -> NeurofeedbackSession:
    row = session.get(NeurofeedbackSession, session_id)
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    return row


def record_started(session: Session, session_id: uuid.UUID, *, at: datetime) -> None:
    """The headset is open and recording: the signal check runs."""
    row = _row(session, session_id)
    row.status = SessionStatus.CHECKING
    row.started_at = at
    row.heartbeat_at = at
    session.flush()


def record_check(session: Session, session_id: uuid.UUID, report: dict[str, Any]) -> None:
    _row(session, session_id).signal_check = report
    session.flush()


def record_training(session: Session, session_id: uuid.UUID, *, at: datetime, overrides: list[str]) -> None:
    """Baseline and feedback began; an override of a failed check is kept with who and why."""
    row = _row(session, session_id)
    row.status = SessionStatus.RUNNING
    row.training_started_at = at
    if overrides:
        row.check_overridden = True
        row.override_note = "\n".join(overrides)
    session.flush()


@dataclass
class SessionOutcome:
    """How a session ended, as the live loop (or an offline run) hands it to the record."""

    completed: bool
    reason: str
    ended_at: datetime
    summary: dict[str, Any] | None = None
    rewards: list[bool] | None = None
    feedback: list[float] | None = None
    recording: bytes | None = None
    recording_seconds: float | None = None
    check: dict[str, Any] | None = None
    overrides: list[str] = field(default_factory=list)


def record_outcome(session: Session, session_id: uuid.UUID, outcome: SessionOutcome) -> NeurofeedbackSession:
    """Store how the session ended; a completed session is logged as the patient's practice that day."""
    row = _row(session, session_id)
    summary = outcome.summary
    row.status = SessionStatus.COMPLETED if outcome.completed and summary else SessionStatus.ABORTED
    row.ended_at = outcome.ended_at
    row.end_reason = outcome.reason[:2000]
    row.heartbeat_at = None
    if summary is not None:
        row.summary = summary
        row.latency_p50_ms = summary.get("latency_p50_ms")
        row.latency_p99_ms = summary.get("latency_p99_ms")
        row.clock_offset_s = summary.get("clock_offset_s")
    if outcome.rewards is not None:
        row.hop_rewards = outcome.rewards
        row.hop_feedback = outcome.feedback
    if outcome.check is not None and row.signal_check is None:
        row.signal_check = outcome.check
    if outcome.overrides and not row.check_overridden:
        row.check_overridden = True
        row.override_note = "\n".join(outcome.overrides)
    if outcome.recording is not None:
        row.recording_edf = outcome.recording
        row.recording_seconds = outcome.recording_seconds
    session.flush()
    if row.status is SessionStatus.COMPLETED and summary is not None:
        minutes = (
            float(summary.get("minutes_trained") or 0.0) + float(summary.get("baseline_seconds") or 0.0) / 60
        )
        patient = session.get(Patient, row.patient_id)
        if patient is not None and minutes > 0:
            log_practice(
                session,
                patient,
                module=Module.NEUROFEEDBACK,
                activity=row.protocol,
                title=f"Neurofeedback: {protocol_title(row.protocol)}",
                minutes=minutes,
                source_id=row.id,
                now=outcome.ended_at,
            )
    return row


def touch(session: Session, session_ids: list[uuid.UUID], *, at: datetime) -> None:
    """The live loops of this process are alive."""
    if session_ids:
        session.execute(
            update(NeurofeedbackSession)
            .where(NeurofeedbackSession.id.in_(session_ids), NeurofeedbackSession.status.in_(ACTIVE))
            .values(heartbeat_at=at)
        )


def viewers_allowed(
    session: Session, viewers: set[tuple[uuid.UUID, uuid.UUID]]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Of these (user, session) pairs, those whose user may still watch the session: the patient whose session
    it is, or a clinician still on that patient's care team (``access.patient_for``'s rule). Two queries
    however many pairs; for the live sockets, which check again every minute."""
    if not viewers:
        return set()
    session_ids = list({s for _, s in viewers})
    user_ids = list({u for u, _ in viewers})
    on_team = session.execute(
        select(CareTeamMember.clinician_id, NeurofeedbackSession.id)
        .join(CareTeamMember, CareTeamMember.patient_id == NeurofeedbackSession.patient_id)
        .where(NeurofeedbackSession.id.in_(session_ids), CareTeamMember.clinician_id.in_(user_ids))
    )
    own = session.execute(
        select(Patient.user_id, NeurofeedbackSession.id)
        .join(Patient, Patient.id == NeurofeedbackSession.patient_id)
        .where(NeurofeedbackSession.id.in_(session_ids), Patient.user_id.in_(user_ids))
    )
    found = {(u, s) for u, s in on_team} | {(u, s) for u, s in own}
    return found & viewers


def missing_sessions(session: Session, session_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Of these sessions, those whose row is gone (the patient's record was erased while they ran)."""
    found = set(
        session.scalars(select(NeurofeedbackSession.id).where(NeurofeedbackSession.id.in_(session_ids)))
    )
    return [session_id for session_id in session_ids if session_id not in found]


def session_ids_of(session: Session, patient_id: uuid.UUID, *, live: bool = False) -> list[uuid.UUID]:
    """A patient's neurofeedback sessions, or only those set up or running (``live``): for an erasure, which
    stops the live ones and deletes the files of all."""
    stmt = select(NeurofeedbackSession.id).where(NeurofeedbackSession.patient_id == patient_id)
    if live:
        stmt = stmt.where(NeurofeedbackSession.status.in_(ACTIVE))
    return list(session.scalars(stmt))


def remove_session_files(recording_dir: Path, session_ids: list[uuid.UUID]) -> None:
    """Delete what these sessions left in the recording folder: a live recording's ``.edf.partial`` folder,
    its ``.edf`` and the file a playback session plays."""
    for session_id in session_ids:
        shutil.rmtree(recording_dir / f"{session_id}.edf.partial", ignore_errors=True)
        for suffix in (".edf", ".playback.edf"):
            (recording_dir / f"{session_id}{suffix}").unlink(missing_ok=True)


def settle_orphans(
    session: Session, *, patient_id: uuid.UUID | None = None, now: datetime | None = None
) -> int:
    """End the sessions whose live loop's process has stopped (no heartbeat for ``STALE_SECONDS``).

    A session must never look "running" when nothing runs it.
    """
    now = now or utcnow()
    stale = now - timedelta(seconds=STALE_SECONDS)
    stmt = update(NeurofeedbackSession).where(
        NeurofeedbackSession.status.in_(ACTIVE),
        (NeurofeedbackSession.heartbeat_at.is_(None)) | (NeurofeedbackSession.heartbeat_at < stale),
    )
    if patient_id is not None:
        stmt = stmt.where(NeurofeedbackSession.patient_id == patient_id)
    result = session.execute(
        stmt.values(status=SessionStatus.ABORTED, ended_at=now, end_reason=ORPHANED_REASON, heartbeat_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class Interrupted(StrEnum):
    """What became of a session whose unfinished recording a server found on its disk when it started."""

    #: Its row went with its patient's erased record: nothing of it may stay on disk.
    ERASED = "erased"
    #: Its heartbeat is fresh: a process still runs it.
    RUNNING = "running"
    #: Nothing runs it: its recording is to be recovered.
    STOPPED = "stopped"


def interrupted_session(
    session: Session, session_id: uuid.UUID, *, now: datetime | None = None
) -> Interrupted:
    """Whether the session of a recording left behind by a stopped server is gone, still running, or stopped."""
    row = session.get(NeurofeedbackSession, session_id)
    if row is None:
        return Interrupted.ERASED
    alive = (
        row.status in ACTIVE
        and row.heartbeat_at is not None
        and ((now or utcnow()) - row.heartbeat_at).total_seconds() < STALE_SECONDS
    )
    return Interrupted.RUNNING if alive else Interrupted.STOPPED


def record_recovered(
    session: Session, session_id: uuid.UUID, recording: bytes, *, now: datetime | None = None
) -> None:
    """Keep the recording recovered from an interrupted session (unless it has one already), and end the
    session if it still looks active."""
    row = _row(session, session_id)
    if row.recording_edf is None:
        row.recording_edf = recording
        row.recording_seconds = review.read_edf_bytes(recording).duration_s
    if row.status in ACTIVE:
        row.status = SessionStatus.ABORTED
        row.ended_at = now or utcnow()
        row.heartbeat_at = None
    row.end_reason = (row.end_reason or ORPHANED_REASON) + " The recording was recovered."
    session.flush()


def abandon_session(
    session: Session, actor: User, session_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """End a session whose live loop does not answer (its server stopped), at the practitioner's request."""
    _clinician(actor)
    row = get_session(session, actor, session_id, action=AuditAction.UPDATE)
    if row.status in ACTIVE:
        row.status = SessionStatus.ABORTED
        row.ended_at = now or utcnow()
        row.end_reason = f"Stopped by {actor.full_name}; its live loop was not answering."
        row.heartbeat_at = None
        session.flush()
