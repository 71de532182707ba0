"""Secure messages: a thread per conversation between a patient and their care team, and who read up to where.

A thread belongs to one patient and is addressed to their whole care team or to one discipline of it. The
addressee decides who is told a message waits; everyone on the care team may read and answer, as they may
read the rest of the record. A message is never changed once sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.models import Discipline, User
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


class MessageThread(IdMixin, TimestampMixin, Base):
    """One conversation of a patient with their care team (or one discipline of it)."""

    __tablename__ = "message_threads"
    __table_args__ = (Index("ix_message_threads_patient_last", "patient_id", "last_message_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    #: The discipline the patient wrote to; None: the whole care team.
    discipline: Mapped[Discipline | None] = mapped_column(
        Enum(
            Discipline,
            name="message_discipline",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=None,
    )
    subject: Mapped[str | None] = mapped_column(String(150), default=None)
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(IdMixin, TimestampMixin, Base):
    """One message in a thread, by the patient or by a clinician on the care team."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_created", "thread_id", "created_at"),)

    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Written by the patient (True) or by someone on the care team (False): the two sides of the thread.
    from_patient: Mapped[bool]
    body: Mapped[str] = mapped_column(Text)
    #: The patient ticked "this is urgent".
    marked_urgent: Mapped[bool] = mapped_column(default=False)
    #: Ticked urgent or matched the clinic's crisis words: a safety alert was raised with it.
    crisis: Mapped[bool] = mapped_column(default=False)

    author: Mapped[User | None] = relationship(lazy="raise")


class MessageReadState(IdMixin, Base):
    """How far one participant has read one thread: every message after ``read_until`` is unread to them."""

    __tablename__ = "message_read_states"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    read_until: Mapped[datetime]
