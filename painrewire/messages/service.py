"""Secure messages: a patient writes to their care team (or one discipline of it), the team answers.

* Every read and write goes through :mod:`painrewire.patients.access` (audited with the patient's id); what
  an actor may not see is 404. Everyone on the care team may read and answer any thread of the patient, as
  they may read the rest of the record; the addressee decides who is told a message waits.
* The email sent with each message says only that a message is waiting, with a link: never its text, and
  not the patient's name. It is queued in the message's own transaction (the outbox).
* A patient's message that is marked urgent, or that holds one of the clinic's crisis words
  (:mod:`painrewire.messages.crisis`), raises a ``MESSAGE_CRISIS`` safety alert for the care team and the
  answer carries what to do now (emergency number, crisis line), as the safety page says it.

  The alert does not hold the patient's practice. A word match is a blunt screen with many false alarms
  ("I worried about an overdose of my tablets"), and "urgent" is also ticked for a lost prescription; pausing
  the program would do nothing for the patient's safety, would come as a punishment for writing openly, and
  could teach them not to. What keeps them safe is what they are shown at once and a clinician reaching them
  soon: the alert is urgent, goes to who may close it and escalates when nobody does. A clinician who judges
  the risk real can pause practice on the alert; a positive self-harm answer on the PHQ-9 still pauses it.
* Read state is kept per participant and thread (``read_until``): a message from the other side written after
  it is unread. Clinicians count a thread as theirs when it is addressed to the whole team or their discipline.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Discipline, Role, User
from painrewire.assessments import alerts
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.config import Settings
from painrewire.db import UTCDateTime, utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.messages.crisis import crisis_matches
from painrewire.messages.models import Message, MessageReadState, MessageThread
from painrewire.messages.schemas import MAX_BODY, MAX_SUBJECT, MessageCreate, ThreadCreate
from painrewire.notifications import service as notifications
from painrewire.notifications.models import Category
from painrewire.patients import access
from painrewire.patients.models import Patient

RESOURCE = "message"
PATIENTS_AND_CARE_TEAM = "Messages are between a patient and their care team."
NO_THREAD = "No such conversation."

TO_TEAM_SUBJECT = "A patient has sent you a message"
TO_TEAM_BODY = (
    "A patient you care for has sent a message to their care team.\n\n"
    "Please sign in to PainRewire to read it and answer."
)
TO_PATIENT_SUBJECT = "You have a new message from your care team"
TO_PATIENT_BODY = "You have a new message from your care team.\n\nPlease sign in to PainRewire to read it."

CRISIS_SUMMARY = "A message to the care team reads like a crisis"
URGENT_SUMMARY = "The patient marked a message to the care team as urgent"


# --- what the patient is shown at once ----------------------------------------------------------------


@dataclass(frozen=True)
class WhatToDoNow:
    heading: str
    steps: list[str]
    emergency_number: str
    crisis_line: str
    clinic_phone: str


def what_to_do_now(settings: Settings) -> WhatToDoNow:
    """The safety page's what-to-do-now, for a patient whose message was urgent or read like a crisis."""
    return WhatToDoNow(
        heading="What to do now",
        steps=[
            "Your message has been sent, and your care team has been alerted.",
            "If you might hurt yourself, or you feel unsafe now, "
            f"call {settings.emergency_number} or go to an emergency department.",
            f"To talk to someone now, call {settings.crisis_line}.",
            "Messages are read in working hours. Do not wait for an answer here if you need help now.",
            f"You can also call the clinic on {settings.clinic_phone}.",
        ],
        emergency_number=settings.emergency_number,
        crisis_line=settings.crisis_line,
        clinic_phone=settings.clinic_phone,
    )


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    thread: MessageThread
    message: Message
    #: Marked urgent or read like a crisis: ``alert`` was raised and the patient is shown what to do now.
    crisis: bool
    alert: SafetyAlert | None


@dataclass(frozen=True)
class ThreadSummary:
    thread: MessageThread
    messages: int
    unread: int
    #: An unread message in it was marked urgent or read like a crisis.
    urgent_unread: bool


@dataclass(frozen=True)
class ThreadView:
    patient: Patient
    thread: MessageThread
    messages: list[Message]
    #: The messages that were unread to the viewer when they opened the thread (now read).
    new_ids: set[uuid.UUID]
    #: A crisis message of this thread whose safety alert is still open.
    crisis_open: bool


@dataclass(frozen=True)
class CaseloadUnread:
    """A thread with unread messages for a clinician's home: who, how many, since when; never the text."""

    patient: Patient
    thread_id: uuid.UUID
    unread: int
    latest: datetime
    urgent: bool


# --- writing ------------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InvalidInput("Message: write your message before sending it.", field="body")
    if len(text) > MAX_BODY:
        raise InvalidInput(
            f"Message: yours is {len(text):,} characters long, and a message can be at most {MAX_BODY:,} "
            "characters (about two pages). Please shorten it, or send it as two messages.",
            field="body",
        )
    return text


def _clean_subject(subject: str | None) -> str | None:
    text = " ".join((subject or "").split())
    if len(text) > MAX_SUBJECT:
        raise InvalidInput(
            f"Subject: it can be at most {MAX_SUBJECT} characters; yours is {len(text):,}.", field="subject"
        )
    return text or None


def _require_participant(actor: User) -> None:
    access.require_role(actor, Role.PATIENT, Role.CLINICIAN, message=PATIENTS_AND_CARE_TEAM)


def addressees(session: Session, patient: Patient) -> list[Discipline]:
    """The disciplines on the patient's care team, in the clinic's order: whom a thread may be addressed to."""
    present = {u.discipline for u in alerts.care_team(session, patient.id) if u.discipline is not None}
    return [d for d in Discipline if d in present]


def start_thread(
    session: Session, actor: User, patient_id: uuid.UUID, data: ThreadCreate, *, settings: Settings
) -> Sent:
    """The patient writes to their care team, or to one discipline of it, in a new thread."""
    _require_participant(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE
    )
    access.require_role(
        actor,
        Role.PATIENT,
        message="A conversation is started by the patient; answer in one of their threads.",
    )
    subject = _clean_subject(data.subject)
    body = _clean_body(data.body)
    team = alerts.care_team(session, patient.id)
    if not team:
        raise Conflict(
            "You do not have a care team yet, so there is nobody to send a message to. "
            f"Please call the clinic on {settings.clinic_phone}."
        )
    if data.to is not None and data.to not in {u.discipline for u in team}:
        raise InvalidInput(
            f"To: there is no {data.to.label.lower()} on your care team. Write to your whole care team, "
            "or to someone on it.",
            field="to",
        )
    now = utcnow()
    thread = MessageThread(
        patient_id=patient.id,
        discipline=data.to,
        subject=subject,
        started_by_id=actor.id,
        created_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    return _post(session, actor, patient, thread, body, urgent=data.urgent, settings=settings, now=now)


def send_message(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    data: MessageCreate,
    *,
    settings: Settings,
) -> Sent:
    """The patient or a clinician on the care team writes in an existing thread."""
    _require_participant(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE, resource_id=thread_id
    )
    thread = _thread(session, patient, thread_id, lock=True)
    body = _clean_body(data.body)
    return _post(session, actor, patient, thread, body, urgent=data.urgent, settings=settings, now=utcnow())


def _post(
    session: Session,
    actor: User,
    patient: Patient,
    thread: MessageThread,
    body: str,
    *,
    urgent: bool,
    settings: Settings,
    now: datetime,
) -> Sent:
    from_patient = actor.role == Role.PATIENT
    reasons: list[str] = []
    if from_patient:
        if urgent:
            reasons.append("marked_urgent")
        if crisis_matches(f"{thread.subject or ''}\n{body}", settings.crisis_words):
            reasons.append("crisis_words")
    message = Message(
        thread_id=thread.id,
        author_id=actor.id,
        from_patient=from_patient,
        body=body,
        marked_urgent=from_patient and urgent,
        crisis=bool(reasons),
        created_at=now,
    )
    session.add(message)
    thread.last_message_at = now
    session.flush()
    _mark_read(session, thread.id, actor.id, now)
    alert = None
    if reasons:
        alert = alerts.raise_alert(
            session,
            patient,
            kind=AlertKind.MESSAGE_CRISIS,
            urgency="urgent",
            summary=CRISIS_SUMMARY if "crisis_words" in reasons else URGENT_SUMMARY,
            details={"thread_id": str(thread.id), "message_id": str(message.id), "reasons": reasons},
            holds_practice=False,
            settings=settings,
        )
    if from_patient:
        team = alerts.care_team(session, patient.id)
        addressed = [u for u in team if thread.discipline is not None and u.discipline == thread.discipline]
        notifications.enqueue_for_users(
            session,
            addressed or team,
            kind="message",
            category=Category.CLINICAL,
            dedupe_key=f"message:{message.id}",
            subject=TO_TEAM_SUBJECT,
            body=TO_TEAM_BODY,
            link_path=f"/clinician/patients/{patient.id}/messages/{thread.id}",
            urgent=bool(reasons),
        )
    else:
        notifications.enqueue_for_users(
            session,
            [patient.user],
            kind="message",
            category=Category.CLINICAL,
            dedupe_key=f"message:{message.id}",
            subject=TO_PATIENT_SUBJECT,
            body=TO_PATIENT_BODY,
            link_path=f"/patient/messages/{thread.id}",
        )
    return Sent(thread=thread, message=message, crisis=bool(reasons), alert=alert)


def _thread(session: Session, patient: Patient, thread_id: uuid.UUID, *, lock: bool = False) -> MessageThread:
    stmt = select(MessageThread).where(MessageThread.id == thread_id, MessageThread.patient_id == patient.id)
    if lock:
        stmt = stmt.with_for_update()
    thread = session.scalar(stmt)
    if thread is None:
        raise NotFound(NO_THREAD)
    return thread


def _mark_read(session: Session, thread_id: uuid.UUID, user_id: uuid.UUID, until: datetime) -> None:
    """Move the user's read mark of the thread forward to ``until`` (never back), in one upsert."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(MessageReadState).values(
        id=uuid.uuid4(), thread_id=thread_id, user_id=user_id, read_until=until
    )
    later = literal(until, UTCDateTime())
    stmt = stmt.on_conflict_do_update(
        index_elements=[MessageReadState.thread_id, MessageReadState.user_id],
        set_={
            "read_until": case(
                (MessageReadState.read_until < later, later), else_=MessageReadState.read_until
            )
        },
    )
    session.execute(stmt)


# --- reading ------------------------------------------------------------------------------------------


def _from_other_side(viewer: User) -> ColumnElement[bool]:
    """Messages written by the side the viewer is not on: the team's for a patient, the patient's for the team."""
    return Message.from_patient.is_(viewer.role != Role.PATIENT)


def _summaries(session: Session, viewer: User, where: Sequence[ColumnElement[bool]]) -> list[ThreadSummary]:
    read = aliased(MessageReadState)
    unread = and_(
        _from_other_side(viewer), or_(read.read_until.is_(None), Message.created_at > read.read_until)
    )
    rows = session.execute(
        select(
            MessageThread,
            func.count(Message.id),
            func.coalesce(func.sum(case((unread, 1), else_=0)), 0),
            func.coalesce(func.max(case((and_(unread, Message.crisis), 1), else_=0)), 0),
        )
        .join(Message, Message.thread_id == MessageThread.id)
        .outerjoin(read, and_(read.thread_id == MessageThread.id, read.user_id == viewer.id))
        .where(*where)
        .group_by(MessageThread.id)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id)
    ).all()
    return [ThreadSummary(thread, int(n), int(u), bool(c)) for thread, n, u, c in rows]


def list_threads(session: Session, actor: User, patient_id: uuid.UUID) -> tuple[Patient, list[ThreadSummary]]:
    """The patient's threads, latest first, each with the viewer's unread count (the read is audited)."""
    _require_participant(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, threads_of(session, actor, patient)


def threads_of(session: Session, viewer: User, patient: Patient) -> list[ThreadSummary]:
    """The same, for a patient whose access was already checked and audited (home and overview panels)."""
    return _summaries(session, viewer, [MessageThread.patient_id == patient.id])


def open_thread(session: Session, actor: User, patient_id: uuid.UUID, thread_id: uuid.UUID) -> ThreadView:
    """One thread with its messages, oldest first; opening it marks it read for the viewer."""
    _require_participant(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE, resource_id=thread_id)
    thread = _thread(session, patient, thread_id)
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.thread_id == thread.id)
            .options(joinedload(Message.author))
            .order_by(Message.created_at, Message.id)
        )
    )
    read_until = session.scalar(
        select(MessageReadState.read_until).where(
            MessageReadState.thread_id == thread.id, MessageReadState.user_id == actor.id
        )
    )
    theirs = actor.role != Role.PATIENT
    new_ids = {
        m.id
        for m in messages
        if m.from_patient == theirs and (read_until is None or m.created_at > read_until)
    }
    if messages:
        _mark_read(session, thread.id, actor.id, messages[-1].created_at)
    return ThreadView(
        patient=patient,
        thread=thread,
        messages=messages,
        new_ids=new_ids,
        crisis_open=crisis_open(session, patient, thread),
    )


def crisis_open(session: Session, patient: Patient, thread: MessageThread) -> bool:
    """Whether a crisis message of this thread still has an open safety alert (nobody has closed it yet)."""
    open_alerts = session.scalars(
        select(SafetyAlert).where(
            SafetyAlert.patient_id == patient.id,
            SafetyAlert.kind == AlertKind.MESSAGE_CRISIS,
            SafetyAlert.acknowledged_at.is_(None),
        )
    )
    return any(a.details.get("thread_id") == str(thread.id) for a in open_alerts)


def unread_in_caseload(session: Session, clinician: User) -> list[CaseloadUnread]:
    """Threads of the clinician's patients with messages unread to them, on threads addressed to the whole team
    or to their discipline: oldest waiting first, urgent ones before all. Each patient shown is audited."""
    found = _unread_in_caseload(session, clinician)
    audit.record_shown(session, clinician, RESOURCE, [u.patient.id for u in found], reason="unread messages")
    return found


def _unread_in_caseload(session: Session, clinician: User) -> list[CaseloadUnread]:
    """Threads of the clinician's patients with messages unread to them, on threads addressed to the whole team
    or to their discipline: oldest waiting first, urgent ones before all."""
    if clinician.role != Role.CLINICIAN:
        return []
    addressed: ColumnElement[bool] = MessageThread.discipline.is_(None)
    if clinician.discipline is not None:
        addressed = or_(addressed, MessageThread.discipline == clinician.discipline)
    read = aliased(MessageReadState)
    rows = session.execute(
        select(
            MessageThread.id,
            MessageThread.patient_id,
            func.count(Message.id),
            func.max(Message.created_at),
            func.max(case((Message.crisis, 1), else_=0)),
        )
        .join(Message, Message.thread_id == MessageThread.id)
        .outerjoin(read, and_(read.thread_id == MessageThread.id, read.user_id == clinician.id))
        .where(
            MessageThread.patient_id.in_(access.visible_patient_ids(clinician)),
            addressed,
            Message.from_patient.is_(True),
            or_(read.read_until.is_(None), Message.created_at > read.read_until),
        )
        .group_by(MessageThread.id, MessageThread.patient_id)
    ).all()
    if not rows:
        return []
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_({r[1] for r in rows})).options(joinedload(Patient.user))
        )
    }
    found = [
        CaseloadUnread(patients[pid], tid, int(n), latest, bool(urgent))
        for tid, pid, n, latest, urgent in rows
        if pid in patients
    ]
    return sorted(found, key=lambda u: (not u.urgent, u.latest))


def unread_total(session: Session, actor: User) -> tuple[int, int]:
    """(unread messages, threads holding them) for the logged-in patient or clinician."""
    _require_participant(actor)
    if actor.role == Role.CLINICIAN:
        waiting = _unread_in_caseload(session, actor)  # counts only: no patient is shown
        return sum(u.unread for u in waiting), len(waiting)
    patient = access.own_patient(session, actor, resource_type=RESOURCE)
    summaries = [s for s in threads_of(session, actor, patient) if s.unread]
    return sum(s.unread for s in summaries), len(summaries)
