"""API shapes for secure messages.

The body's length is checked by the service, so the refusal says the limit in words whichever way the
message came (page or API); the schema only keeps absurd sizes out.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.accounts.models import Discipline

#: The longest message: about two pages of text. Longer ones are refused with this number in words.
MAX_BODY = 4000
MAX_SUBJECT = 150
#: What a request may carry before the service even reads it (the refusal then still names the limit).
HARD_CAP = 100_000


class MessageCreate(BaseModel):
    body: str = Field(
        max_length=HARD_CAP, description=f"The message, plain text, up to {MAX_BODY} characters"
    )
    urgent: bool = Field(
        default=False,
        description="The patient marks the message urgent: it raises a safety alert and the answer says "
        "what to do now (ignored for clinicians)",
    )


class ThreadCreate(MessageCreate):
    to: Discipline | None = Field(
        default=None, description="One discipline of the patient's care team; none for the whole team"
    )
    subject: str | None = Field(
        default=None, max_length=HARD_CAP, description="Optional, up to 150 characters"
    )


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    thread_id: uuid.UUID
    created_at: datetime
    from_patient: bool
    author_id: uuid.UUID | None
    author_name: str | None = None
    author_discipline: Discipline | None = None
    body: str
    marked_urgent: bool


class ThreadSummaryRead(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    to: Discipline | None
    subject: str | None
    created_at: datetime
    last_message_at: datetime
    messages: int
    unread: int


class ThreadRead(ThreadSummaryRead):
    thread_messages: list[MessageRead]


class WhatToDoNowRead(BaseModel):
    """What a patient whose message reads like a crisis should do now, as the safety page says it."""

    heading: str
    steps: list[str]
    emergency_number: str
    crisis_line: str
    clinic_phone: str


class SentRead(BaseModel):
    thread_id: uuid.UUID
    message: MessageRead
    #: The message was marked urgent or read like a crisis: the care team has a safety alert.
    crisis: bool
    what_to_do_now: WhatToDoNowRead | None = None


class UnreadRead(BaseModel):
    #: Messages from the other side not yet read by you (for a clinician: on threads addressed to you).
    unread: int
    threads: int
