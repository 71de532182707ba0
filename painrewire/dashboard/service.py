"""The clinician dashboard: the caseload in the order it needs attention, in a fixed number of queries.

Open safety alerts first, then worsening patients (7-day mean up 2 points or 30% from baseline), then
patients not practising (no practice in 7 days), then by the next appointment. Each part is one query over
the whole caseload, whatever its size: no query per patient.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import User
from painrewire.assessments.models import QuestionnaireResponse, SafetyAlert
from painrewire.diary.models import DiaryEntry, PainBaseline
from painrewire.diary.outcomes import MIN_WINDOW_ENTRIES
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice.models import PracticeLog

URGENCY_RANK = {"emergency": 0, "urgent": 1}
WORSE_POINTS = 2.0
WORSE_FRACTION = 0.3

#: Other modules add the next appointment per patient: ``fn(session, patient_ids, now) -> {id: datetime}``.
NextAppointments = Callable[[Session, Sequence[uuid.UUID], datetime], dict[uuid.UUID, datetime]]
_appointment_sources: list[NextAppointments] = []


def next_appointment_source(fn: NextAppointments) -> NextAppointments:
    if fn not in _appointment_sources:
        _appointment_sources.append(fn)
    return fn


@dataclass
class CaseloadRow:
    patient_id: uuid.UUID
    name: str
    open_alerts: int = 0
    alert_urgency: str | None = None
    baseline: float | None = None
    current: float | None = None
    days_this_week: int = 0
    last_practice: date | None = None
    next_appointment: datetime | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline

    @property
    def worsening(self) -> bool:
        if self.baseline is None or self.current is None:
            return False
        rise = self.current - self.baseline
        return rise >= WORSE_POINTS - 1e-9 or (
            self.baseline > 0 and rise >= WORSE_FRACTION * self.baseline - 1e-9
        )

    def not_practising(self, today: date) -> bool:
        return self.last_practice is None or self.last_practice < today - timedelta(days=6)

    def group(self, today: date) -> int:
        if self.open_alerts:
            return 0
        if self.worsening:
            return 1
        if self.not_practising(today):
            return 2
        return 3


def caseload(session: Session, clinician: User, *, today: date, now: datetime) -> list[CaseloadRow]:
    """Every patient on the clinician's care teams, most in need of attention first."""
    visible = access.visible_patient_ids(clinician)
    rows = {
        pid: CaseloadRow(patient_id=pid, name=name)
        for pid, name in session.execute(
            select(Patient.id, User.full_name)
            .join(User, User.id == Patient.user_id)
            .where(Patient.id.in_(visible))
        )
    }
    if not rows:
        return []
    # Each row shows the patient's alerts, pain trend and practice: audited as a read of each.
    audit.record_shown_query(
        session,
        clinician,
        "caseload",
        select(Patient.id).where(Patient.id.in_(visible)),
        reason="clinician home",
    )
    alerts = session.execute(
        select(SafetyAlert.patient_id, SafetyAlert.urgency, func.count())
        .where(SafetyAlert.patient_id.in_(visible), SafetyAlert.acknowledged_at.is_(None))
        .group_by(SafetyAlert.patient_id, SafetyAlert.urgency)
    )
    for pid, urgency, count in alerts:
        row = rows[pid]
        row.open_alerts += int(count)
        if row.alert_urgency is None or URGENCY_RANK.get(urgency, 9) < URGENCY_RANK.get(row.alert_urgency, 9):
            row.alert_urgency = urgency
    for pid, baseline in session.execute(
        select(PainBaseline.patient_id, PainBaseline.diary_baseline).where(
            PainBaseline.patient_id.in_(visible)
        )
    ):
        rows[pid].baseline = baseline
    week_start = today - timedelta(days=6)
    for pid, mean, count in session.execute(
        select(DiaryEntry.patient_id, func.avg(DiaryEntry.average_pain), func.count())
        .where(DiaryEntry.patient_id.in_(visible), DiaryEntry.day >= week_start, DiaryEntry.day <= today)
        .group_by(DiaryEntry.patient_id)
    ):
        rows[pid].days_this_week = int(count)
        if count >= MIN_WINDOW_ENTRIES:
            rows[pid].current = float(mean)
    for pid, last in session.execute(
        select(PracticeLog.patient_id, func.max(PracticeLog.day))
        .where(PracticeLog.patient_id.in_(visible), PracticeLog.day >= today - timedelta(days=60))
        .group_by(PracticeLog.patient_id)
    ):
        rows[pid].last_practice = last
    _bpi_baselines(session, visible, rows)
    for source in _appointment_sources:
        for pid, when in source(session, list(rows), now).items():
            if pid in rows:
                rows[pid].next_appointment = when
    for row in rows.values():
        row.reasons = _reasons(row, today)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(
        rows.values(),
        key=lambda r: (
            r.group(today),
            URGENCY_RANK.get(r.alert_urgency or "", 9),
            -(r.change or 0.0),
            r.next_appointment or far,
            r.name,
        ),
    )


def _bpi_baselines(session: Session, visible: Select[uuid.UUID], rows: dict[uuid.UUID, CaseloadRow]) -> None:
    """Where the diary has no baseline week, the first BPI's average-pain answer is the baseline."""
    ranked = (
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.answers,
            func.row_number()
            .over(partition_by=QuestionnaireResponse.patient_id, order_by=QuestionnaireResponse.completed_at)
            .label("rank"),
        )
        .where(QuestionnaireResponse.instrument_id == "bpi", QuestionnaireResponse.patient_id.in_(visible))
        .subquery()
    )
    for pid, answers in session.execute(
        select(ranked.c.patient_id, ranked.c.answers).where(ranked.c.rank == 1)
    ):
        row = rows[pid]
        if row.baseline is None and answers and len(answers) >= 3 and answers[2] is not None:
            row.baseline = float(answers[2])


def _reasons(row: CaseloadRow, today: date) -> list[str]:
    reasons = []
    if row.open_alerts:
        reasons.append(
            f"{row.open_alerts} open safety alert{'s' if row.open_alerts > 1 else ''} ({row.alert_urgency})"
        )
    if row.worsening and row.change is not None and row.baseline is not None:
        reasons.append(
            f"worse: 7-day mean {row.current:.1f} vs baseline {row.baseline:.1f} ({row.change:+.1f})"
        )
    if row.not_practising(today):
        reasons.append("no practice in 7 days" if row.last_practice else "no practice logged yet")
    if row.days_this_week < MIN_WINDOW_ENTRIES:
        reasons.append(f"diary filled {row.days_this_week} of the last 7 days")
    return reasons
