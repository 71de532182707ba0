"""Safety alerts: raised with the event, owned by who may close them, escalated when nobody does in time.

* **Raising** (`raise_alert`) writes the alert and, in the same transaction, an email to each clinician on the
  care team who may close it ("An urgent safety alert is waiting for you": no health content). A patient
  without a care team, or without anyone on it who may close this kind, goes to the front desk and the whole
  care team at once.
* **Ownership**: red-flag alerts are closed by a medically qualified clinician (``medically_qualified_
  disciplines``, the pain specialist by default); self-harm alerts, a blank self-harm item and a message that
  reads like a crisis by a self-harm reviewer (``self_harm_reviewer_disciplines``, psychologist or pain
  specialist). Closing names the action taken, from a list for the alert's kind, and a note.
* **Escalation** (`escalate_overdue_alerts`, a sweep the worker runs): an alert still open after its time
  (``alert_escalation_minutes`` per urgency) goes by email to the whole care team and the front desk, and the
  escalation is recorded on the alert. A conditional update decides it, so it happens once even with several
  workers, never after the alert was acknowledged, and a restart changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Discipline, Role, User
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.config import Settings, get_settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.notifications import service as notifications
from painrewire.notifications.models import Category
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient

#: What a clinician did about a red flag.
RED_FLAG_ACTIONS: dict[str, str] = {
    "sent_to_emergency_department": "Sent to the emergency department",
    "same_day_medical_review": "Same-day medical review arranged",
    "investigations_or_referral": "Investigations or a specialist referral arranged",
    "gp_informed": "GP or referring doctor informed and following up",
    "reviewed_long_standing": "Reviewed: long-standing, unchanged and already investigated",
    "reviewed_not_serious": "Reviewed with the patient: no sign of a serious cause",
}
#: What a clinician did about a self-harm answer, a blank self-harm item or a crisis message.
SELF_HARM_ACTIONS: dict[str, str] = {
    "risk_assessed_safety_plan": "Risk assessed with the patient; safety plan made or reviewed",
    "emergency_services": "Emergency services or the crisis team contacted",
    "gp_informed": "GP informed and following up",
    "asked_no_current_risk": "Asked the patient: no current thoughts of self-harm",
    "spoke_with_patient_follow_up": "Spoke with the patient; follow-up booked",
}
#: The shortest note that says what was done (a three-letter "ok" is not a record).
MIN_NOTE_CHARS = 15

ALERT_EMAIL_SUBJECT = "An urgent safety alert is waiting for you"
ALERT_EMAIL_BODY = (
    "A patient you care for has a safety alert that needs a clinician.\n\n"
    "Please sign in to PainRewire to see it and record what you did."
)
ESCALATION_SUBJECT = "A safety alert has not been acknowledged"
ESCALATION_BODY = (
    "A safety alert has waited longer than the clinic's time limit without a clinician acknowledging it.\n\n"
    "Please sign in now and make sure a clinician who may close it deals with it today."
)
#: The clinician's home lists their open alerts, most urgent first, each with its close form.
ALERTS_PATH = "/clinician"


def actions_for(kind: AlertKind) -> dict[str, str]:
    return RED_FLAG_ACTIONS if kind is AlertKind.RED_FLAG else SELF_HARM_ACTIONS


def owner_disciplines(kind: AlertKind, settings: Settings) -> list[str]:
    """The disciplines that may close an alert of this kind."""
    if kind.about_self_harm:
        return list(settings.self_harm_reviewer_disciplines)
    return list(settings.medically_qualified_disciplines)


def owners_label(kind: AlertKind, settings: Settings) -> str:
    """``"a pain specialist"``, ``"a psychologist or pain specialist"``: who may close, in words."""
    names = []
    for code in owner_disciplines(kind, settings):
        try:
            names.append(Discipline(code).label.lower())
        except ValueError:
            names.append(code.replace("_", " "))
    if not names:
        return "nobody (no discipline is configured)"
    return "a " + " or ".join(names)


def may_close(actor: User, alert: SafetyAlert, settings: Settings) -> bool:
    return (
        actor.role == Role.CLINICIAN
        and actor.discipline is not None
        and actor.discipline.value in owner_disciplines(alert.kind, settings)
    )


def raise_alert(
    session: Session,
    patient: Patient,
    *,
    kind: AlertKind,
    urgency: str,
    summary: str,
    details: dict[str, Any] | None = None,
    intake_id: uuid.UUID | None = None,
    response_id: uuid.UUID | None = None,
    holds_practice: bool = True,
    settings: Settings | None = None,
) -> SafetyAlert:
    """Write an alert and, in the same transaction, tell the people who may close it that it waits.

    ``settings`` (for who may close it) defaults to the process's own.
    """
    alert = SafetyAlert(
        patient_id=patient.id,
        kind=kind,
        urgency=urgency,
        summary=summary,
        details=details or {},
        intake_id=intake_id,
        response_id=response_id,
        holds_practice=holds_practice,
        escalation={},
    )
    session.add(alert)
    session.flush()
    team = care_team(session, patient.id)
    owners_of = owner_disciplines(kind, settings or get_settings())
    owners = [u for u in team if u.discipline is not None and u.discipline.value in owners_of]
    recipients = owners or [*team, *front_desk(session)]
    notifications.enqueue_for_users(
        session,
        recipients,
        kind="safety_alert",
        category=Category.CLINICAL,
        dedupe_key=f"alert:{alert.id}",
        subject=ALERT_EMAIL_SUBJECT,
        body=ALERT_EMAIL_BODY,
        link_path=ALERTS_PATH,
        urgent=True,
    )
    return alert


def care_team(session: Session, patient_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
            .where(CareTeamMember.patient_id == patient_id, User.is_active.is_(True))
            .order_by(User.full_name)
        )
    )


def front_desk(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.role == Role.ADMIN, User.is_active.is_(True)).order_by(User.email)
        )
    )


def acknowledge_alert(
    session: Session,
    actor: User,
    alert_id: uuid.UUID,
    *,
    action: str,
    note: str,
    settings: Settings,
    now: datetime | None = None,
) -> SafetyAlert:
    """A clinician who may close this kind of alert records what they did; twice at once closes it once."""
    access.require_role(
        actor, Role.CLINICIAN, message="Only a clinician on the care team can acknowledge a safety alert."
    )
    alert = session.get(SafetyAlert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    access.patient_for(
        session,
        actor,
        alert.patient_id,
        action=AuditAction.UPDATE,
        resource_type="safety_alert",
        resource_id=alert.id,
    )
    if not may_close(actor, alert, settings):
        raise Forbidden(
            f"This alert can only be closed by {owners_label(alert.kind, settings)} on the care team. "
            "It has been sent to them; it escalates to the whole team if nobody acknowledges it in time."
        )
    if not alert.is_open:
        raise Conflict("This alert was already acknowledged.")
    choices = actions_for(alert.kind)
    if action not in choices:
        raise InvalidInput(
            "Action taken: choose one of " + "; ".join(f"{k} ({v})" for k, v in choices.items()) + ".",
            field="action",
        )
    note = " ".join(note.split())
    if len(note) < MIN_NOTE_CHARS:
        raise InvalidInput(
            f"Note: write what was done, in at least {MIN_NOTE_CHARS} characters, before closing the alert.",
            field="note",
        )
    when = now or utcnow()
    closed = session.execute(
        update(SafetyAlert)
        .where(SafetyAlert.id == alert.id, SafetyAlert.acknowledged_at.is_(None))
        .values(
            acknowledged_at=when, acknowledged_by_id=actor.id, acknowledgement_note=note, action_taken=action
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(closed, "rowcount", 0) != 1:
        raise Conflict("This alert was already acknowledged by another clinician a moment ago.")
    session.refresh(alert)
    return alert


def set_practice_hold(
    session: Session,
    actor: User,
    alert_id: uuid.UUID,
    *,
    hold: bool,
    settings: Settings,
    now: datetime | None = None,
) -> SafetyAlert:
    """Pause the patient's practice on an open self-harm alert, or let it go on (who may close it decides).

    A red flag always holds practice until it is closed: only self-harm kinds can be changed. Each change is
    kept in the alert's ``details["practice_hold_changes"]`` besides the audit row.
    """
    access.require_role(
        actor,
        Role.CLINICIAN,
        message="Only a clinician on the care team can pause or resume practice on a safety alert.",
    )
    alert = session.get(SafetyAlert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    access.patient_for(
        session,
        actor,
        alert.patient_id,
        action=AuditAction.UPDATE,
        resource_type="safety_alert_hold",
        resource_id=alert.id,
    )
    if not alert.kind.about_self_harm:
        raise Conflict("A red-flag alert pauses practice until a clinician closes it; it cannot be resumed.")
    if not may_close(actor, alert, settings):
        raise Forbidden(
            f"Only {owners_label(alert.kind, settings)} on the care team can pause or resume practice "
            "on this alert."
        )
    if not alert.is_open:
        raise Conflict("This alert was already acknowledged, so it no longer pauses practice.")
    if alert.holds_practice == hold:
        return alert
    change = {"hold": hold, "by": str(actor.id), "at": (now or utcnow()).isoformat()}
    details = dict(alert.details) | {
        "practice_hold_changes": [*alert.details.get("practice_hold_changes", []), change]
    }
    changed = session.execute(
        update(SafetyAlert)
        .where(SafetyAlert.id == alert.id, SafetyAlert.acknowledged_at.is_(None))
        .values(holds_practice=hold, details=details)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise Conflict("This alert was acknowledged a moment ago, so it no longer pauses practice.")
    session.refresh(alert)
    return alert


def escalation_due(alert: SafetyAlert, settings: Settings) -> datetime:
    minutes = settings.alert_escalation_minutes.get(alert.urgency, 60.0)
    return alert.raised_at + timedelta(minutes=minutes)


def escalate_overdue_alerts(session: Session, settings: Settings, now: datetime) -> int:
    """Escalate every open alert past its time (a worker sweep); returns how many escalated now."""
    shortest = min(settings.alert_escalation_minutes.values(), default=60.0)
    candidates: Sequence[SafetyAlert] = session.scalars(
        select(SafetyAlert)
        .where(
            SafetyAlert.acknowledged_at.is_(None),
            SafetyAlert.escalated_at.is_(None),
            SafetyAlert.raised_at <= now - timedelta(minutes=shortest),
        )
        .order_by(SafetyAlert.raised_at)
    ).all()
    escalated = 0
    for alert in candidates:
        if escalation_due(alert, settings) > now:
            continue
        patient_team = care_team(session, alert.patient_id)
        desk = front_desk(session)
        recipients = {u.id: u for u in [*patient_team, *desk]}
        record = {
            "users": [str(uid) for uid in recipients],
            "care_team": len(patient_team),
            "front_desk": len(desk),
        }
        won = session.execute(
            update(SafetyAlert)
            .where(
                SafetyAlert.id == alert.id,
                SafetyAlert.acknowledged_at.is_(None),
                SafetyAlert.escalated_at.is_(None),
            )
            .values(escalated_at=now, escalation=record)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            continue  # acknowledged, or escalated by another worker, since it was read
        notifications.enqueue_for_users(
            session,
            recipients.values(),
            kind="safety_alert_escalation",
            category=Category.CLINICAL,
            dedupe_key=f"alert-escalation:{alert.id}",
            subject=ESCALATION_SUBJECT,
            body=ESCALATION_BODY,
            link_path=ALERTS_PATH,
            urgent=True,
        )
        escalated += 1
    return escalated
