"""The clinician dashboard: who needs attention first, complete, and the rest of the caseload a page at a time.

Two triage lists, each complete whatever the caseload's size: open safety alerts, then patients getting worse
(7-day mean up 2 points or 30% from baseline), each in the order it needs attention (urgency, biggest rise,
next appointment, name). Everyone else is in the caseload table, `PAGE_SIZE` at a time: first the patients
not practising (no practice in 7 days), then the others, each part by name; the table's heading counts those
not practising across all its pages. A search by name looks through the whole caseload.

The pain figures come from each patient's diary summary (`painrewire.diary.models.DiarySummary`, kept with
every diary change), never from the diary itself, and the triage lists are found by the database: a page
costs a fixed number of queries and reads, in Python, only the patients it shows, each audited as shown.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import User
from painrewire.assessments.models import QuestionnaireResponse, SafetyAlert
from painrewire.diary.models import DiarySummary, PainBaseline
from painrewire.diary.outcomes import MIN_WINDOW_ENTRIES, WEEK_DAYS
from painrewire.diary.trends import MEAN_DAYS_AFTER, RecentDiary
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice.models import PracticeLog

URGENCY_RANK = {"emergency": 0, "urgent": 1}
WORSE_POINTS = 2.0
WORSE_FRACTION = 0.3
#: Rows of the caseload table on one page.
PAGE_SIZE = 50
#: The highest page number asked for that is taken as a number (beyond it: 422, not an overflow).
MAX_PAGE = 100_000
#: The longest name search, in characters.
MAX_SEARCH = 100
#: How far back the last practice shown is looked for.
PRACTICE_LOOKBACK_DAYS = 60
#: The database's test for "getting worse" keeps a little more than the exact rule, which is applied after.
_SLACK = 1e-6

#: Other modules add the next appointment per patient: ``fn(session, patient_ids, now) -> {id: datetime}``.
NextAppointments = Callable[[Session, Sequence[uuid.UUID], datetime], dict[uuid.UUID, datetime]]
_appointment_sources: list[NextAppointments] = []


def next_appointment_source(fn: NextAppointments) -> NextAppointments:
    if fn not in _appointment_sources:
        _appointment_sources.append(fn)
    return fn


def is_worse(baseline: float | None, current: float | None) -> bool:
    """Up at least `WORSE_POINTS` or `WORSE_FRACTION` of the baseline."""
    if baseline is None or current is None:
        return False
    rise = current - baseline
    return rise >= WORSE_POINTS - 1e-9 or (baseline > 0 and rise >= WORSE_FRACTION * baseline - 1e-9)


@dataclass
class CaseloadRow:
    patient_id: uuid.UUID
    name: str
    open_alerts: int = 0
    alert_urgency: str | None = None
    baseline: float | None = None
    current: float | None = None
    days_this_week: int = 0
    last_entry: date | None = None
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
        return is_worse(self.baseline, self.current)

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


@dataclass(frozen=True)
class Caseload:
    """The clinician home: the complete triage lists, and one page of the caseload table."""

    alerts: list[CaseloadRow]
    worsening: list[CaseloadRow]
    #: This page of the table: everyone not in a triage list (those not practising first), or everyone whose
    #: name contains ``search``.
    rows: list[CaseloadRow]
    search: str
    page: int
    #: Patients the table lists over all its pages, and how many of them are not practising.
    total: int
    not_practising: int
    #: Whether the clinician has any patient at all.
    has_patients: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def triage(self) -> list[CaseloadRow]:
        return self.alerts + self.worsening

    @property
    def shown(self) -> list[CaseloadRow]:
        return self.triage + self.rows


def clean_search(text: str | None) -> str:
    """The name to search for: trimmed; refused (422) when too long or holding control characters."""
    value = (text or "").strip()
    if len(value) > MAX_SEARCH:
        raise InvalidInput(f"q: search for at most {MAX_SEARCH} characters.", field="q")
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidInput("q: search for letters, not control characters.", field="q")
    return value


def caseload(
    session: Session,
    clinician: User,
    *,
    today: date,
    now: datetime,
    page: int = 1,
    search: str | None = None,
) -> Caseload:
    """The clinician's triage lists in full and page ``page`` of the rest (or of the patients whose name
    contains ``search``); every patient shown is audited as read. A page past the last is NotFound."""
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page: a page number from 1 to {MAX_PAGE}.", field="page")
    query = clean_search(search)
    visible = access.visible_patient_ids(clinician)
    alerts = _open_alerts(session, visible)
    worse = _worsening(session, visible, today)
    table, total, idle = _table_page(session, visible, today, exclude=worse, search=query, page=page)
    if page > 1 and not table:
        raise NotFound(f"There is no page {page} of this list; it has {max(1, -(-total // PAGE_SIZE))}.")
    triage_ids = set(alerts) | set(worse)
    rows = _rows(session, list(triage_ids | set(table)), alerts, today=today, now=now)
    groups: dict[int, list[CaseloadRow]] = {0: [], 1: []}
    for pid in triage_ids:
        groups[0 if pid in alerts else 1].append(rows[pid])
    far = datetime.max.replace(tzinfo=now.tzinfo)
    for members in groups.values():
        members.sort(
            key=lambda r: (
                URGENCY_RANK.get(r.alert_urgency or "", 9),
                -(r.change or 0.0),
                r.next_appointment or far,
                r.name,
            )
        )
    result = Caseload(
        alerts=groups[0],
        worsening=groups[1],
        rows=[rows[pid] for pid in table],
        search=query,
        page=page,
        total=total,
        not_practising=idle,
        has_patients=bool(rows) or session.scalar(select(exists().where(Patient.id.in_(visible)))) is True,
    )
    # Each row shows the patient's alerts, pain trend and practice: audited as a read of each shown, in one
    # statement the database fills.
    if rows:
        audit.record_shown_query(
            session,
            clinician,
            "caseload",
            select(Patient.id).where(Patient.id.in_(list(rows))),
            reason="clinician home",
        )
    return result


def _open_alerts(session: Session, visible: Select[Any]) -> dict[uuid.UUID, tuple[int, str]]:
    """Open alerts per patient: how many, and the most urgent urgency."""
    found: dict[uuid.UUID, tuple[int, str]] = {}
    for pid, urgency, count in session.execute(
        select(SafetyAlert.patient_id, SafetyAlert.urgency, func.count())
        .where(SafetyAlert.patient_id.in_(visible), SafetyAlert.acknowledged_at.is_(None))
        .group_by(SafetyAlert.patient_id, SafetyAlert.urgency)
    ):
        before, most = found.get(pid, (0, urgency))
        if URGENCY_RANK.get(urgency, 9) < URGENCY_RANK.get(most, 9):
            most = urgency
        found[pid] = (before + int(count), most)
    return found


def _mean_today(today: date) -> ColumnElement[Any]:
    """The 7-day mean as of ``today`` from the stored means after the last entry (NULL when none)."""
    columns = [
        DiarySummary.mean_day_0,
        DiarySummary.mean_day_1,
        DiarySummary.mean_day_2,
        DiarySummary.mean_day_3,
    ]
    assert len(columns) == MEAN_DAYS_AFTER + 1
    return case(
        *((DiarySummary.last_day == today - timedelta(days=k), col) for k, col in enumerate(columns)),
        else_=None,
    )


def _worsening(session: Session, visible: Select[Any], today: date) -> dict[uuid.UUID, tuple[float, float]]:
    """The patients getting worse as of ``today``: ``{id: (7-day mean, baseline)}``.

    The database keeps the patients whose stored mean for today clears the rule (or who have no diary
    baseline, so the first BPI may give one, or whose last entry is after ``today``, from a time zone
    ahead); the exact rule is then applied to those few, from their summaries.
    """
    current = _mean_today(today)
    baseline = PainBaseline.diary_baseline
    rise = current - baseline
    candidates = session.execute(
        select(DiarySummary.patient_id, DiarySummary.last_day, DiarySummary.recent_pain, baseline)
        .outerjoin(PainBaseline, PainBaseline.patient_id == DiarySummary.patient_id)
        .where(
            DiarySummary.patient_id.in_(visible),
            or_(
                DiarySummary.last_day > today,
                and_(
                    current.is_not(None),
                    or_(
                        baseline.is_(None),
                        rise >= WORSE_POINTS - _SLACK,
                        and_(baseline > 0, rise >= WORSE_FRACTION * baseline - _SLACK),
                    ),
                ),
            ),
        )
    ).all()
    means = {pid: RecentDiary.from_stored(last, pain).mean_as_of(today) for pid, last, pain, _ in candidates}
    baselines = {pid: base for pid, _, _, base in candidates}
    missing = [pid for pid, base in baselines.items() if base is None and means[pid] is not None]
    baselines.update(_bpi_baselines(session, missing))
    found = {}
    for pid, mean in means.items():
        base = baselines[pid]
        if mean is not None and base is not None and is_worse(base, mean):
            found[pid] = (mean, base)
    return found


def _practised_since(day: date) -> ColumnElement[bool]:
    return exists().where(PracticeLog.patient_id == Patient.id, PracticeLog.day >= day)


def _table_page(
    session: Session,
    visible: Select[Any],
    today: date,
    *,
    exclude: Collection[uuid.UUID],
    search: str,
    page: int,
) -> tuple[list[uuid.UUID], int, int]:
    """One page of the caseload table, how many patients it lists in all, and how many of them are idle.

    Without a search: the patients in no triage list (no open alert, not in ``exclude``, the patients getting
    worse), those with no practice in the 7 days ending ``today`` first, each part by name. With one: every
    patient of the caseload whose name contains it (any case), by name.
    """
    idle = case((_practised_since(today - timedelta(days=WEEK_DAYS - 1)), 0), else_=1)
    stmt = (
        select(Patient.id, func.count().over(), func.sum(idle).over(), idle.label("idle"))
        .join(User, User.id == Patient.user_id)
        .where(Patient.id.in_(visible))
    )
    if search:
        stmt = stmt.where(User.full_name.icontains(search, autoescape=True))
        order: list[Any] = [User.full_name, Patient.id]
    else:
        open_alert = exists().where(
            SafetyAlert.patient_id == Patient.id, SafetyAlert.acknowledged_at.is_(None)
        )
        stmt = stmt.where(~open_alert)
        if exclude:
            stmt = stmt.where(Patient.id.not_in(list(exclude)))
        order = [idle.desc(), User.full_name, Patient.id]
    found = session.execute(stmt.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if found:
        return [pid for pid, *_ in found], int(found[0][1]), int(found[0][2] or 0)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) if page > 1 else 0
    return [], int(total or 0), 0


def _rows(
    session: Session,
    patient_ids: list[uuid.UUID],
    alerts: dict[uuid.UUID, tuple[int, str]],
    *,
    today: date,
    now: datetime,
) -> dict[uuid.UUID, CaseloadRow]:
    """What the dashboard shows of each of these patients, from their summaries (no diary read)."""
    if not patient_ids:
        return {}
    rows: dict[uuid.UUID, CaseloadRow] = {}
    last_practice = (
        select(func.max(PracticeLog.day))
        .where(
            PracticeLog.patient_id == Patient.id,
            PracticeLog.day >= today - timedelta(days=PRACTICE_LOOKBACK_DAYS),
        )
        .scalar_subquery()
    )
    for pid, name, last_day, pain, baseline, practised in session.execute(
        select(
            Patient.id,
            User.full_name,
            DiarySummary.last_day,
            DiarySummary.recent_pain,
            PainBaseline.diary_baseline,
            last_practice,
        )
        .join(User, User.id == Patient.user_id)
        .outerjoin(DiarySummary, DiarySummary.patient_id == Patient.id)
        .outerjoin(PainBaseline, PainBaseline.patient_id == Patient.id)
        .where(Patient.id.in_(patient_ids))
    ):
        row = CaseloadRow(patient_id=pid, name=name, baseline=baseline, last_practice=practised)
        if last_day is not None:
            recent = RecentDiary.from_stored(last_day, pain)
            row.last_entry = last_day
            row.days_this_week = recent.entries_in_week(today)
            row.current = recent.mean_as_of(today)
        count, urgency = alerts.get(pid, (0, None))
        row.open_alerts, row.alert_urgency = count, urgency
        rows[pid] = row
    for pid, base in _bpi_baselines(session, [pid for pid, r in rows.items() if r.baseline is None]).items():
        rows[pid].baseline = base
    for source in _appointment_sources:
        for pid, when in source(session, list(rows), now).items():
            if pid in rows:
                rows[pid].next_appointment = when
    for row in rows.values():
        row.reasons = _reasons(row, today)
    return rows


def _bpi_baselines(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Where the diary has no baseline week, the first BPI's average-pain answer is the baseline."""
    if not patient_ids:
        return {}
    ranked = (
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.answers,
            func.row_number()
            .over(partition_by=QuestionnaireResponse.patient_id, order_by=QuestionnaireResponse.completed_at)
            .label("rank"),
        )
        .where(
            QuestionnaireResponse.instrument_id == "bpi", QuestionnaireResponse.patient_id.in_(patient_ids)
        )
        .subquery()
    )
    found = {}
    for pid, answers in session.execute(
        select(ranked.c.patient_id, ranked.c.answers).where(ranked.c.rank == 1)
    ):
        if isinstance(answers, list) and len(answers) >= 3 and isinstance(answers[2], int | float):
            found[pid] = float(answers[2])
    return found


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
