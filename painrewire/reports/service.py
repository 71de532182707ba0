"""The PDF progress report: safety alerts first, then pain outcome and charts, questionnaire scores with bands
and MCIDs, and the plan.

The first page lists every open safety alert and those raised or closed in the last 90 days (kind, urgency,
raised, status, action taken), so a reader who only sees page one still sees an open self-harm alert.

Clinicians on the care team download it from a patient's overview, patients from their own record; every
download is one ``export`` audit row. The report is rendered from an HTML template by WeasyPrint, with the
same SVG charts the pages show.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.assessments import alerts as safety_alerts
from painrewire.assessments.models import QuestionnaireResponse, SafetyAlert
from painrewire.charts import score_chart
from painrewire.db import utcnow
from painrewire.diary.outcomes import MCID_TABLE, QuestionnaireChange, questionnaire_change
from painrewire.diary.progress import Progress, progress_for
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.models import PlanVersion
from painrewire.plans.rules import PlanProposal
from painrewire.reports import records
from painrewire.reports.instruments import InstrumentFacts, ScoreBand, instrument_facts
from painrewire.treatment_history import service as treatment_history

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
STYLESHEET = Path(__file__).with_name("static") / "report.css"
#: Band shading from the mildest to the most severe band.
BAND_COLOURS = ("#2e7d32", "#9ccc65", "#fbc02d", "#f57c00", "#c62828", "#6a1b9a")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(("html",)),
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class ScoreChange:
    """One score of an instrument (its total, or a subscale) from the first response to the latest."""

    label: str
    first: float
    latest: float
    change: QuestionnaireChange | None


@dataclass(frozen=True)
class InstrumentScores:
    facts: InstrumentFacts
    responses: list[QuestionnaireResponse]
    changes: list[ScoreChange]
    chart_svg: str | None

    @property
    def first(self) -> QuestionnaireResponse:
        return self.responses[0]

    @property
    def latest(self) -> QuestionnaireResponse:
        return self.responses[-1]


@dataclass(frozen=True)
class AlertLine:
    """One safety alert as the report's first page lists it."""

    kind: str
    urgency: str
    raised_at: datetime
    is_open: bool
    status: str
    action: str | None
    summary: str


def alert_line(alert: SafetyAlert) -> AlertLine:
    if alert.is_open:
        status = "Open: practice paused" if alert.holds_practice else "Open: practice goes on"
        if alert.escalated_at is not None:
            status += f"; escalated {alert.escalated_at.strftime('%d %b %Y %H:%M')} UTC"
    else:
        closed = alert.acknowledged_at.strftime("%d %b %Y") if alert.acknowledged_at else ""
        by = alert.acknowledged_by.full_name if alert.acknowledged_by else "a clinician"
        status = f"Closed {closed} by {by}"
    action = (
        safety_alerts.actions_for(alert.kind).get(alert.action_taken, alert.action_taken)
        if alert.action_taken
        else None
    )
    return AlertLine(
        kind=records.ALERT_KINDS.get(alert.kind, alert.kind.value.replace("_", " ")),
        urgency=alert.urgency,
        raised_at=alert.raised_at,
        is_open=alert.is_open,
        status=status,
        action=action,
        summary=alert.summary,
    )


@dataclass(frozen=True)
class ProgressReport:
    clinic_name: str
    patient_name: str
    date_of_birth: date | None
    generated_at: datetime
    today: date
    for_patient: bool
    care_team: list[tuple[str, str]]
    progress: Progress
    instruments: list[InstrumentScores]
    plan: records.PlanSummary | None
    practice_minutes_28_days: float
    practice_days_28_days: int
    #: Open safety alerts and those of the last `records.RECENT_ALERT_DAYS` days, shown on the first page.
    alerts: list[AlertLine]
    alert_days: int
    #: What the patient tried before, in short sentences ("Did not help: opioids, physiotherapy.").
    treatment_history: list[str]


def chart_bands(facts: InstrumentFacts) -> list[tuple[float, float, str, str]]:
    """Shade each band from its lowest score to the next band's lowest (the last to the top of the scale).

    Manuals write bands as whole-score ranges (PHQ-9 0-4, 5-9, ...); drawn end to end they leave no gaps.
    """
    if facts.min_total is None or facts.max_total is None:
        return []
    bands: list[ScoreBand] = [b for b in facts.bands if facts.min_total <= b.low <= facts.max_total]
    shaded = []
    for i, band in enumerate(bands):
        top = bands[i + 1].low if i + 1 < len(bands) else facts.max_total
        if top > band.low:
            shaded.append((band.low, top, band.label, BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]))
    return shaded


def _changes(
    instrument_id: str, first: QuestionnaireResponse, latest: QuestionnaireResponse
) -> list[ScoreChange]:
    facts = instrument_facts(instrument_id)
    found = []
    if first.total is not None and latest.total is not None:
        judged = None
        if instrument_id in MCID_TABLE and first.id != latest.id:
            judged = _judge(instrument_id, first.total, latest.total)
        found.append(ScoreChange("Total", first.total, latest.total, judged))
    for name, value in latest.subscales.items():
        start = first.subscales.get(name)
        if start is None:
            continue
        key = f"{instrument_id}_{name}"
        judged = _judge(key, start, value) if key in MCID_TABLE and first.id != latest.id else None
        found.append(
            ScoreChange(facts.subscale_names.get(name, name.replace("_", " ")), start, value, judged)
        )
    return found


def _judge(key: str, baseline: float, current: float) -> QuestionnaireChange | None:
    try:
        return questionnaire_change(key, baseline, current)
    except ValueError:
        return None


def _score_chart(facts: InstrumentFacts, responses: list[QuestionnaireResponse]) -> str | None:
    series = [(r.completed_at.date(), r.total) for r in responses if r.valid and r.total is not None]
    if not series or facts.min_total is None or facts.max_total is None:
        return None
    try:
        return score_chart(
            [(d, float(t)) for d, t in series],
            bands=chart_bands(facts),
            min_value=facts.min_total,
            max_value=facts.max_total,
            title=f"{facts.name} over time",
            chart_id=f"score-{facts.id}",
        )
    except ValueError:
        return None


def instrument_scores(session: Session, patient: Patient) -> list[InstrumentScores]:
    grouped: dict[str, list[QuestionnaireResponse]] = defaultdict(list)
    for response in records.responses(session, patient):
        grouped[response.instrument_id].append(response)
    result = []
    for instrument_id, found in grouped.items():
        facts = instrument_facts(instrument_id)
        result.append(
            InstrumentScores(
                facts=facts,
                responses=found,
                changes=_changes(instrument_id, found[0], found[-1]),
                chart_svg=_score_chart(facts, found),
            )
        )
    return sorted(result, key=lambda s: s.facts.name)


def build_report(
    session: Session, patient: Patient, *, clinic_name: str, for_patient: bool, now: datetime | None = None
) -> ProgressReport:
    """Everything the report shows, for a patient whose access was already checked and audited."""
    now = now or utcnow()
    today = patient.local_today(now)
    progress = progress_for(session, patient, today=today)
    since = today - timedelta(days=27)
    recent = [(d, m) for d, m in progress.daily_practice if since <= d <= today]
    version = plans.signed_plan(session, patient)
    return ProgressReport(
        clinic_name=clinic_name,
        patient_name=patient.user.full_name,
        date_of_birth=patient.date_of_birth,
        generated_at=now,
        today=today,
        for_patient=for_patient,
        care_team=[(c.full_name, c.discipline_label) for c in records.care_team(session, patient)],
        progress=progress,
        instruments=instrument_scores(session, patient),
        plan=_plan(session, patient, version, for_patient=for_patient, now=now) if version else None,
        practice_minutes_28_days=sum(m for _, m in recent),
        practice_days_28_days=len({d for d, _ in recent}),
        alerts=[alert_line(a) for a in records.safety_alerts(session, patient, now=now)],
        alert_days=records.RECENT_ALERT_DAYS,
        treatment_history=treatment_history.summary_lines(
            treatment_history.history_summary(session, patient)
        ),
    )


def _plan(
    session: Session, patient: Patient, version: PlanVersion, *, for_patient: bool, now: datetime
) -> records.PlanSummary:
    """The signed plan; for the patient, without study results that no longer fit them."""
    withheld: set[str] = set()
    if for_patient:
        withheld = plans.withheld_reasons(session, patient, PlanProposal.from_dict(version.content), now=now)
    return records.plan_summary(version, for_patient=for_patient, withheld=withheld)


def render_html(report: ProgressReport) -> str:
    return _env.get_template("reports/progress.html").render(
        report=report, instrument_name=lambda i: instrument_facts(i).short_name
    )


def render_pdf(report: ProgressReport) -> bytes:
    """The report as a tagged PDF (PDF/UA-1): headings, paragraphs and tables carry their structure, the
    document its language and title, so screen readers can follow it."""
    return html_to_pdf(render_html(report))


def html_to_pdf(html: str) -> bytes:
    """A report's HTML as a tagged PDF/UA-1 document: the slow part, which reads no database."""
    from weasyprint import CSS, HTML

    document = HTML(string=html, base_url=str(TEMPLATES))
    pdf: bytes = document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))], pdf_variant="pdf/ua-1")
    return pdf


def clinician_report_html(session: Session, actor: User, patient_id: uuid.UUID, *, clinic_name: str) -> str:
    """A care-team clinician's report of one patient's progress, as HTML for ``html_to_pdf`` (audited as an
    export)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.EXPORT, resource_type="progress_report"
    )
    return render_html(build_report(session, patient, clinic_name=clinic_name, for_patient=False))


def own_report_html(session: Session, actor: User, *, clinic_name: str) -> str:
    """The logged-in patient's own progress report, as HTML for ``html_to_pdf`` (audited as an export)."""
    patient = access.own_patient(session, actor, action=AuditAction.EXPORT, resource_type="progress_report")
    return render_html(build_report(session, patient, clinic_name=clinic_name, for_patient=True))


def clinician_report(session: Session, actor: User, patient_id: uuid.UUID, *, clinic_name: str) -> bytes:
    """A care-team clinician's PDF of one patient's progress (audited as an export)."""
    return html_to_pdf(clinician_report_html(session, actor, patient_id, clinic_name=clinic_name))


def own_report(session: Session, actor: User, *, clinic_name: str) -> bytes:
    """The logged-in patient's own progress report (audited as an export)."""
    return html_to_pdf(own_report_html(session, actor, clinic_name=clinic_name))
