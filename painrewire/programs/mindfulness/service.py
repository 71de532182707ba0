"""Mindfulness: minutes practised (guided practices, the breathing pacer, the meditation timer) and the
clinic's own audio recordings of its practices.

Minutes are `PracticeLog` rows (module ``mindfulness``, activity = the practice id, ``breathing_pacer`` or
``meditation_timer``) written through `painrewire.practice.service.log_practice`. Audio is clinic content,
not patient data: any member of the clinic (staff or patient) may play it; only staff may attach it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.clearance import gate
from painrewire.diary.outcomes import weekly_minutes
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.mindfulness import audio, timing
from painrewire.programs.mindfulness.content import (
    BREATHING_PACER,
    MEDITATION_TIMER,
    Practice,
    activity_title,
    practices,
)
from painrewire.programs.mindfulness.models import PracticeAudio
from painrewire.programs.mindfulness.schemas import SessionCreate

#: The most minutes one sitting of each tool can log; a guided practice may take up to twice its script.
MAX_MINUTES = {BREATHING_PACER: 60.0, MEDITATION_TIMER: 180.0}
MAX_FILENAME = 200


class AudioRefused(InvalidInput):
    """The upload is not an audio recording we accept, or is too large."""


def _size(n: int) -> str:
    """A file size as people read it: 20 MiB, 97.7 KiB."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MiB".replace(".0 MiB", " MiB")
    return f"{n / 1024:.1f} KiB".replace(".0 KiB", " KiB")


def practice(practice_id: str) -> Practice:
    found = practices().get(practice_id)
    if found is None:
        raise NotFound("No such practice.")
    return found


def max_minutes(activity: str) -> float:
    if activity in MAX_MINUTES:
        return MAX_MINUTES[activity]
    return max(60.0, 2 * practice(activity).minutes)


def _title(data: SessionCreate) -> str:
    title = activity_title(data.activity) or data.activity
    if data.activity == BREATHING_PACER and data.breaths_per_minute:
        title += f" · {data.breaths_per_minute:g} breaths/min"
        if data.inhale_share:
            out = (1 - data.inhale_share) / data.inhale_share
            title += f", in:out 1:{out:.2g}"
    return title


def log_session(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: SessionCreate,
    *,
    secret: str,
    now: datetime | None = None,
    clock: float | None = None,
) -> PracticeLog:
    """Log minutes of mindfulness practice after checking them: a known activity, more than 0 minutes, no more
    than the activity allows, and no more than the time since the practice page was opened (its stamp)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="mindfulness_session"
    )
    if activity_title(data.activity) is None:
        choices = ", ".join([*practices(), *MAX_MINUTES])
        raise InvalidInput(
            f"activity: unknown practice {data.activity!r}; choose from {choices}.", field="activity"
        )
    gate.ensure_practice_open(session, actor, patient, Module.MINDFULNESS)
    limit = max_minutes(data.activity)
    if data.minutes > limit:
        raise InvalidInput(
            f"minutes: at most {limit:g} minutes can be logged for one sitting of this practice; got {data.minutes:g}.",
            field="minutes",
        )
    if data.page_stamp is not None:
        wall = time.time() if clock is None else clock
        try:
            opened = timing.opened_at(secret, str(actor.id), data.page_stamp, now=wall)
        except ValueError as exc:
            raise InvalidInput(f"page_stamp: {exc}.", field="page_stamp") from exc
        if not timing.fits(data.minutes, opened=opened, now=wall):
            raise InvalidInput(
                f"minutes: {data.minutes:g} minutes is more than the time since the practice began.",
                field="minutes",
            )
    return practice_log.log_practice(
        session,
        patient,
        module=Module.MINDFULNESS,
        activity=data.activity,
        title=_title(data),
        minutes=data.minutes,
        now=now,
    )


def weekly_minutes_for(
    session: Session, patient: Patient, *, today: date | None = None
) -> list[tuple[date, float]]:
    """Mindfulness minutes per week (Monday to Sunday), from the first week with practice to this week."""
    rows = session.execute(
        select(PracticeLog.day, PracticeLog.minutes).where(
            PracticeLog.patient_id == patient.id, PracticeLog.module == Module.MINDFULNESS
        )
    ).all()
    return weekly_minutes([(d, float(m)) for d, m in rows], until=today or patient.local_today())


def weekly(session: Session, actor: User, patient_id: uuid.UUID) -> list[tuple[date, float]]:
    patient = access.patient_for(session, actor, patient_id, resource_type="mindfulness_session")
    return weekly_minutes_for(session, patient)


def recent_sessions_for(session: Session, patient: Patient, *, limit: int = 10) -> list[PracticeLog]:
    return list(
        session.scalars(
            select(PracticeLog)
            .where(PracticeLog.patient_id == patient.id, PracticeLog.module == Module.MINDFULNESS)
            .order_by(PracticeLog.completed_at.desc())
            .limit(limit)
        )
    )


# --- The clinic's audio recordings ----------------------------------------------------------------------------


def attach_audio(
    session: Session,
    actor: User,
    practice_id: str,
    *,
    filename: str,
    data: bytes,
    max_bytes: int,
    size: int | None = None,
) -> PracticeAudio:
    """Attach the clinic's recording to a practice (it replaces the one played so far; older ones are kept).

    The format is read from the file's first bytes; the browser's content type and the file name are not
    trusted. ``size`` is the upload's full size when only its first ``max_bytes + 1`` bytes were read.
    """
    access.require_role(
        actor, Role.CLINICIAN, Role.ADMIN, message="Only clinic staff can attach recordings to practices."
    )
    found = practice(practice_id)
    if not data:
        raise AudioRefused("file: the file is empty; choose an audio recording.", field="file")
    if max(len(data), size or 0) > max_bytes:
        raise AudioRefused(
            f"file: the recording is {_size(max(len(data), size or 0))}; at most {_size(max_bytes)} can be attached.",
            field="file",
        )
    content_type = audio.detect(data[: audio.SNIFF_BYTES])
    if content_type is None:
        raise AudioRefused(
            f"file: this does not look like an audio recording; upload {audio.ACCEPTED}.", field="file"
        )
    printable = "".join(c if c.isprintable() and c not in "/\\" else " " for c in filename or "")
    name = " ".join(printable.split())[:MAX_FILENAME]
    recording = PracticeAudio(
        practice_id=found.id,
        filename=name or "recording",
        content_type=content_type,
        size_bytes=len(data),
        data=data,
        uploaded_by_id=actor.id,
    )
    session.add(recording)
    session.flush()
    return recording


def current_audio(session: Session) -> dict[str, PracticeAudio]:
    """Practice id -> the recording played for it (the newest attached), without loading the audio itself."""
    newest: dict[str, PracticeAudio] = {}
    for recording in session.scalars(select(PracticeAudio).order_by(PracticeAudio.created_at)):
        newest[recording.practice_id] = recording
    return newest


def audio_url(recording: PracticeAudio) -> str:
    return f"/mindfulness/audio/{recording.id}"


def may_play(actor: User) -> bool:
    """Clinic content: every account of this clinic (staff and patients) may play its recordings."""
    return actor.role in (Role.PATIENT, Role.CLINICIAN, Role.ADMIN)


@dataclass(frozen=True)
class AudioPart:
    content_type: str
    total: int
    start: int
    end: int  # inclusive
    data: bytes
    partial: bool
    etag: str


class RangeNotSatisfiable(InvalidInput):
    """The Range header asks for bytes outside the recording."""

    def __init__(self, message: str, *, total: int) -> None:
        super().__init__(message, field="range")
        self.total = total


def parse_range(header: str | None, total: int) -> tuple[int, int] | None:
    """The (start, end) inclusive of a single-range ``bytes=`` header, None for the whole file.

    Multiple ranges are answered with the whole file (allowed by RFC 9110 §14.2). An unsatisfiable range raises.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if (
        not dash
        or not (first.isdigit() or last.isdigit())
        or (first and not first.isdigit())
        or (last and not last.isdigit())
    ):
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or total == 0:
            raise RangeNotSatisfiable("range: asks for no bytes.", total=total)
        return max(0, total - length), total - 1
    start = int(first)
    end = min(int(last), total - 1) if last else total - 1
    if start >= total or end < start:
        raise RangeNotSatisfiable("range: starts beyond the end of the recording.", total=total)
    return start, end


def play_audio(session: Session, actor: User, audio_id: uuid.UUID, range_header: str | None) -> AudioPart:
    """The bytes of a recording to play (all, or the one range asked for), read from the database in one go."""
    if not may_play(actor):
        raise NotFound("No such recording.")
    head = session.execute(
        select(PracticeAudio.content_type, PracticeAudio.size_bytes, PracticeAudio.created_at).where(
            PracticeAudio.id == audio_id
        )
    ).first()
    if head is None:
        raise NotFound("No such recording.")
    content_type, total, created = head
    span = parse_range(range_header, total)
    start, end = span if span is not None else (0, total - 1)
    length = end - start + 1
    if span is None:
        recording = session.scalar(
            select(PracticeAudio).where(PracticeAudio.id == audio_id).options(undefer(PracticeAudio.data))
        )
        data = recording.data if recording is not None else b""
    else:
        data = (
            session.scalar(
                select(func.substr(PracticeAudio.data, start + 1, length)).where(PracticeAudio.id == audio_id)
            )
            or b""
        )
    return AudioPart(
        content_type=content_type,
        total=total,
        start=start,
        end=end,
        data=bytes(data),
        partial=span is not None,
        etag=f'"{audio_id.hex}-{total}-{int(created.timestamp())}"',
    )
