"""Accounts, login sessions and the audit log."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from painrewire.accounts.roles import Discipline, Role
from painrewire.db import Base, IdMixin, TimestampMixin, utcnow

__all__ = ["Discipline", "Role"]


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class User(IdMixin, TimestampMixin, Base):
    """A person who logs in: a patient, a clinician of one discipline, or an admin."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    discipline: Mapped[Discipline | None] = mapped_column(_enum(Discipline, "discipline"), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)

    sessions: Mapped[list[AuthSession]] = relationship(back_populates="user", lazy="raise")

    @property
    def discipline_label(self) -> str:
        return self.discipline.label if self.discipline else ""


class AuthSession(IdMixin, TimestampMixin, Base):
    """A login: the browser cookie or API bearer token is random; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="sessions", lazy="raise")


class AuditAction(enum.StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"


class AuditEvent(IdMixin, Base):
    """Who did what to which patient's data, when. The app only ever inserts rows here."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_patient_at", "patient_id", "at"),)

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[AuditAction] = mapped_column(_enum(AuditAction, "audit_action"))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class RateLimitBucket(Base):
    """How many times one client did one limited thing (failed logins, sign-ups) in the current window.

    Kept in the database, not in process memory, so the limit holds across workers and servers.
    """

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)


class PasswordResetToken(IdMixin, TimestampMixin, Base):
    """A password-reset link: random, single-use, short-lived; only its SHA-256 is stored.

    Every reset request writes one, for an unknown address too (then without a user, so it can never be
    used): the request does the same work either way, and so cannot tell anyone whether an account exists.
    """

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
