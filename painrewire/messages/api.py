"""JSON routes for secure messages between a patient and their care team."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from painrewire.accounts.deps import CurrentUser
from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.messages import service as messages
from painrewire.messages.models import Message
from painrewire.messages.schemas import (
    MessageCreate,
    MessageRead,
    SentRead,
    ThreadCreate,
    ThreadRead,
    ThreadSummaryRead,
    UnreadRead,
    WhatToDoNowRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["messages"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def message_read(message: Message) -> MessageRead:
    author = message.author
    return MessageRead.model_validate(message).model_copy(
        update={
            "author_name": author.full_name if author else None,
            "author_discipline": author.discipline if author else None,
        }
    )


def _summary(s: messages.ThreadSummary) -> ThreadSummaryRead:
    t = s.thread
    return ThreadSummaryRead(
        id=t.id,
        patient_id=t.patient_id,
        to=t.discipline,
        subject=t.subject,
        created_at=t.created_at,
        last_message_at=t.last_message_at,
        messages=s.messages,
        unread=s.unread,
    )


def _sent(sent: messages.Sent, author: User, settings: Settings) -> SentRead:
    message = MessageRead.model_validate(sent.message).model_copy(
        update={"author_name": author.full_name, "author_discipline": author.discipline}
    )
    return SentRead(
        thread_id=sent.thread.id,
        message=message,
        crisis=sent.crisis,
        what_to_do_now=(
            WhatToDoNowRead(**asdict(messages.what_to_do_now(settings))) if sent.crisis else None
        ),
    )


@router.get(
    "/patients/{patient_id}/message-threads",
    response_model=list[ThreadSummaryRead],
    summary="A patient's conversations with the care team, latest first, with your unread count in each",
    responses=ERRORS,
)
def list_threads(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ThreadSummaryRead]:
    _, found = messages.list_threads(session, user, patient_id)
    return [_summary(s) for s in found]


@router.post(
    "/patients/{patient_id}/message-threads",
    response_model=SentRead,
    status_code=201,
    summary="The patient writes to their care team or one discipline of it; a crisis answer says what to do now",
    responses=ERRORS,
)
def start_thread(
    patient_id: uuid.UUID, data: ThreadCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> SentRead:
    sent = messages.start_thread(session, user, patient_id, data, settings=settings)
    return _sent(sent, user, settings)


@router.get(
    "/patients/{patient_id}/message-threads/{thread_id}",
    response_model=ThreadRead,
    summary="One conversation, oldest message first; reading it marks it read for you",
    responses=ERRORS,
)
def open_thread(
    patient_id: uuid.UUID, thread_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ThreadRead:
    view = messages.open_thread(session, user, patient_id, thread_id)
    t = view.thread
    return ThreadRead(
        id=t.id,
        patient_id=t.patient_id,
        to=t.discipline,
        subject=t.subject,
        created_at=t.created_at,
        last_message_at=t.last_message_at,
        messages=len(view.messages),
        unread=0,
        thread_messages=[message_read(m) for m in view.messages],
    )


@router.post(
    "/patients/{patient_id}/message-threads/{thread_id}/messages",
    response_model=SentRead,
    status_code=201,
    summary="Write in a conversation (the patient, or a clinician on the care team)",
    responses=ERRORS,
)
def send_message(
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    data: MessageCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SentRead:
    sent = messages.send_message(session, user, patient_id, thread_id, data, settings=settings)
    return _sent(sent, user, settings)


@router.get(
    "/messages/unread",
    response_model=UnreadRead,
    summary="How many messages wait unread for you, and in how many conversations",
    responses=ERRORS,
)
def unread(user: CurrentUser, session: SessionDep) -> UnreadRead:
    count, threads = messages.unread_total(session, user)
    return UnreadRead(unread=count, threads=threads)
