"""Mindfulness: a clinic's own audio recording for any guided practice. Minutes practised are PracticeLog rows."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin


class PracticeAudio(IdMixin, TimestampMixin, Base):
    """The recording the clinic attached to a practice; the newest one is played."""

    __tablename__ = "practice_audio"

    practice_id: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
