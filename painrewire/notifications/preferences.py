"""Each person's choices about reminders and quiet hours, applied in one place: when mail is queued for them.

``enqueue_email`` asks :func:`delivery_time` for every email with a recipient, so no caller can forget:

* a reminder whose kind the person turned off, or keeps in the app only, is not queued (the app lists the
  in-app ones on the person's home page while they are current);
* mail that would arrive during their quiet hours waits until the quiet hours end, on their own clock;
* urgent mail (safety alerts and their escalations to clinicians) ignores quiet hours, and account mail
  (a sign-in or password link the person just asked for) does too: they are awake and waiting for it;
* clinical and account mail is never switched off: only the reminder kinds below can be.

One-click unsubscribe (RFC 8058, https://www.rfc-editor.org/rfc/rfc8058): every reminder carries a link naming
the email it came in; posting to it turns that reminder kind off for that person, without a login.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings, get_settings
from painrewire.db import utcnow
from painrewire.errors import InvalidInput, NotFound
from painrewire.notifications.models import (
    Category,
    NotificationPreference,
    OutboundEmail,
    OutboxStatus,
    ReminderChannel,
    ReminderKind,
)
from painrewire.notifications.schemas import PreferencesUpdate
from painrewire.patients.models import Patient

#: Which reminder kind each email kind belongs to: what a person's choice and an unsubscribe link govern.
#: A module that sends a new kind of reminder adds its email kind here (a treatment follow-up questionnaire
#: is a ``questionnaire_due`` email, so it needs no entry of its own).
REMINDER_KINDS: dict[str, ReminderKind] = {
    "appointment_reminder": ReminderKind.APPOINTMENT,
    "diary_reminder": ReminderKind.DIARY,
    "questionnaire_due": ReminderKind.QUESTIONNAIRE,
}
_COLUMNS = {
    ReminderKind.APPOINTMENT: "appointment_reminders",
    ReminderKind.DIARY: "diary_reminders",
    ReminderKind.QUESTIONNAIRE: "questionnaire_reminders",
}
UNSUBSCRIBE_NOT_FOUND = "This unsubscribe link is not known. It may be mistyped, or from an old message."


@dataclass(frozen=True)
class Preferences:
    """A person's effective choices (the defaults where they chose nothing), and the zone of their clock."""

    appointment: ReminderChannel
    diary: ReminderChannel
    questionnaire: ReminderChannel
    diary_time: time
    quiet_start: time | None
    quiet_end: time | None
    timezone: str
    is_patient: bool

    def channel(self, kind: ReminderKind) -> ReminderChannel:
        return {
            ReminderKind.APPOINTMENT: self.appointment,
            ReminderKind.DIARY: self.diary,
            ReminderKind.QUESTIONNAIRE: self.questionnaire,
        }[kind]

    def in_app(self, kind: ReminderKind) -> bool:
        return self.channel(kind) == ReminderChannel.IN_APP

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_start is not None and self.quiet_end is not None and self.quiet_start != self.quiet_end
        )


def _row(session: Session, user_id: uuid.UUID) -> NotificationPreference | None:
    return session.get(NotificationPreference, user_id)


def zone_of(session: Session, user: User, clinic_zone: str) -> tuple[str, bool]:
    """The zone of a person's clock: a patient's own, the clinic's for staff; and whether they are a patient."""
    zone = session.scalar(select(Patient.timezone).where(Patient.user_id == user.id))
    return (zone, True) if zone is not None else (clinic_zone, False)


def preferences_for(session: Session, user: User, settings: Settings | None = None) -> Preferences:
    """The person's effective preferences."""
    settings = settings or get_settings()
    row = _row(session, user.id)
    zone, is_patient = zone_of(session, user, settings.clinic_timezone)
    if row is None:
        return Preferences(
            ReminderChannel.EMAIL,
            ReminderChannel.OFF,
            ReminderChannel.EMAIL,
            settings.diary_reminder_time,
            None,
            None,
            zone,
            is_patient,
        )
    return Preferences(
        row.appointment_reminders,
        row.diary_reminders,
        row.questionnaire_reminders,
        row.diary_time or settings.diary_reminder_time,
        row.quiet_start,
        row.quiet_end,
        zone,
        is_patient,
    )


def diary_time_for(session: Session, user_id: uuid.UUID, settings: Settings) -> time:
    """When a person's diary reminder is due on their clock: their own choice, or the clinic's default."""
    chosen = session.scalar(
        select(NotificationPreference.diary_time).where(NotificationPreference.user_id == user_id)
    )
    return chosen or settings.diary_reminder_time


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant a clock in ``zone`` shows ``at`` on ``day``: the first showing of a repeated clock time, and
    the moment the clock jumps for one the spring change skips (01:30 in London on the last Sunday of March)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:
        return first
    low, high = second, first  # skipped: the jump lies between, where the offset changes to ``first``'s
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def quiet_until(at: datetime, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet period that ``at`` falls in, or None when ``at`` is outside quiet hours.

    Quiet hours are clock times on the person's clock; ``start`` after ``end`` spans midnight (22:00 to 07:00).
    The start is inside the quiet period and the end is not.
    """
    if start == end:
        return None
    local = at.astimezone(zone)
    clock, today = local.time().replace(tzinfo=None), local.date()
    if start < end:
        if not start <= clock < end:
            return None
        end_day = today
    elif clock >= start:
        end_day = today + timedelta(days=1)
    elif clock < end:
        end_day = today
    else:
        return None
    until = local_instant(end_day, end, zone)
    return until if until > at else None


def delivery_time(
    session: Session,
    user: User,
    *,
    kind: str,
    category: Category,
    urgent: bool,
    at: datetime,
    clinic_zone: str | None = None,
) -> datetime | None:
    """When mail for ``user`` may go out: ``at``, the end of their quiet hours, or None (not to be emailed)."""
    row = _row(session, user.id)
    if row is None:
        return (
            at  # the defaults: every reminder by email (the diary one is only planned for those who opt in)
        )
    if category == Category.REMINDER:
        reminder = REMINDER_KINDS.get(kind)
        if reminder is not None and getattr(row, _COLUMNS[reminder]) != ReminderChannel.EMAIL:
            return None
    if urgent or category == Category.ACCOUNT or row.quiet_start is None or row.quiet_end is None:
        return at
    zone, _ = zone_of(session, user, clinic_zone or get_settings().clinic_timezone)
    return quiet_until(at, row.quiet_start, row.quiet_end, ZoneInfo(zone)) or at


def in_app_kinds(session: Session, user_id: uuid.UUID) -> set[ReminderKind]:
    """The reminder kinds a person keeps in the app only (shown on their home page instead of emailed)."""
    row = _row(session, user_id)
    if row is None:
        return set()
    return {kind for kind, column in _COLUMNS.items() if getattr(row, column) == ReminderChannel.IN_APP}


def update_preferences(
    session: Session, actor: User, data: PreferencesUpdate, *, settings: Settings | None = None
) -> Preferences:
    """Change one's own choices; quiet hours need both ends (or neither, to have none)."""
    given = data.model_fields_set
    if not given:
        return preferences_for(session, actor, settings)
    row = _row(session, actor.id)
    if row is None:
        row = NotificationPreference(
            user_id=actor.id,
            appointment_reminders=ReminderChannel.EMAIL,
            diary_reminders=ReminderChannel.OFF,
            questionnaire_reminders=ReminderChannel.EMAIL,
        )
        session.add(row)
    for kind, column in _COLUMNS.items():
        value = getattr(data, kind.value)
        if kind.value in given and value is not None:
            setattr(row, column, value)
    if "diary_time" in given:
        row.diary_time = data.diary_time
    if "quiet_start" in given or "quiet_end" in given:
        start = data.quiet_start if "quiet_start" in given else row.quiet_start
        end = data.quiet_end if "quiet_end" in given else row.quiet_end
        if (start is None) != (end is None):
            missing = "quiet_end" if end is None else "quiet_start"
            raise InvalidInput(
                "Quiet hours need a start and an end time (leave both empty for none).", field=missing
            )
        if start is not None and start == end:
            raise InvalidInput("Quiet hours must end at a different time than they start.", field="quiet_end")
        row.quiet_start, row.quiet_end = start, end
    row.updated_at = utcnow()
    session.flush()
    return preferences_for(session, actor, settings)


# --- one-click unsubscribe --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link stops: one reminder kind, for the person the email went to."""

    email: OutboundEmail
    kind: ReminderKind
    user: User
    already_off: bool


def unsubscribe_target(session: Session, email_id: uuid.UUID) -> Unsubscribe:
    """What the link of email ``email_id`` would stop; NotFound for any id that is not a reminder's."""
    email = session.get(OutboundEmail, email_id)
    kind = REMINDER_KINDS.get(email.kind) if email is not None else None
    if email is None or email.category != Category.REMINDER or email.recipient_id is None or kind is None:
        raise NotFound(UNSUBSCRIBE_NOT_FOUND)
    user = session.get(User, email.recipient_id)
    if user is None:
        raise NotFound(UNSUBSCRIBE_NOT_FOUND)
    row = _row(session, user.id)
    already = row is not None and getattr(row, _COLUMNS[kind]) == ReminderChannel.OFF
    return Unsubscribe(email, kind, user, already)


def unsubscribe(session: Session, email_id: uuid.UUID) -> Unsubscribe:
    """Turn off the reminder kind of email ``email_id`` for its recipient, and drop such reminders not yet sent."""
    target = unsubscribe_target(session, email_id)
    update_preferences(session, target.user, PreferencesUpdate.model_validate({target.kind.value: "off"}))
    kinds = [name for name, kind in REMINDER_KINDS.items() if kind == target.kind]
    session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.recipient_id == target.user.id,
            OutboundEmail.kind.in_(kinds),
            OutboundEmail.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return target
