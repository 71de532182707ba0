"""Plans: the clinic's rules propose, a clinician on the care team edits and signs, the patient follows the
signed version as this week's tasks.

Every change makes a new version with who, when and why; older versions are kept for the history page. A red
flag or an open safety alert holds the plan: no version can be signed and the patient's tasks are paused,
with the reason shown, until a clinician acknowledges the alert (in the assessments module).

Repeated questionnaires are shown as due from the signed plan (baseline, every 2 weeks, end), computed from
what the patient has completed, so nothing has to run on a timer; when a plan is signed, and whenever a
clinician asks, the questionnaires due now also become assignments through `assessments.assign`, so they
appear in the patient's questionnaire list and the clinician's view of open requests.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire import validation
from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments import service as assessments
from painrewire.assessments.models import AlertKind, Intake, SafetyAlert
from painrewire.clearance import service as clearance
from painrewire.clinical_flags import service as clinical_flags
from painrewire.consent import service as consents
from painrewire.db import utcnow
from painrewire.diary import progress
from painrewire.diary.models import DiaryEntry
from painrewire.diary.outcomes import BASELINE_PEG_DAYS, baseline_measure
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient, local_day
from painrewire.plans import course as courses
from painrewire.plans.changes import describe_changes
from painrewire.plans.labels import INSTRUMENT_LABELS
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.plans.repository import signed_plan
from painrewire.plans.rules import (
    CHECKLIST_LEVELS,
    CONSENT_KINDS,
    DISCIPLINES,
    GUARD_SOURCES,
    INSTRUMENTS,
    MODULE_FOCUS,
    MODULES,
    AssessmentProfile,
    ClinicianNote,
    Consent,
    FiredRule,
    LateralityResult,
    NeurofeedbackResult,
    PlannedModule,
    PlanProposal,
    Preferences,
    QuestionnaireSchedule,
    RuleSet,
    ScoreSummary,
    TreatmentHistory,
    evaluate_rules,
    load_rules,
    schedule_weeks,
    withdrawn_evidence,
)
from painrewire.plans.schedule import DueStatus, Occurrence, occurrences, plan_week, week_dates
from painrewire.plans.schemas import PlanEdit
from painrewire.plans.tasks import Task, next_task, task_catalogue, weekly_tasks
from painrewire.practice.models import PracticeLog
from painrewire.programs.prt.models import ChecklistResponse
from painrewire.therapy_preferences import service as therapy_preferences
from painrewire.treatment_history import service as treatment_history

#: Diary sleep quality (0 very poor to 10 very good) at or below which sleep counts as a problem for the
#: rules, averaged over the last 14 days with at least 5 entries. A clinic setting, not a published cut-off.
SLEEP_PROBLEM_MAX = 4.0
SLEEP_WINDOW_DAYS = 14
SLEEP_MIN_ENTRIES = 5

QUESTIONNAIRE_HREF = "/patient/questionnaires/{instrument}"


class NoAssessment(Conflict):
    """The rules need an intake (pain duration and the red-flag screen) before they can propose a plan."""


class PlanHeld(Conflict):
    """A red flag or an open safety alert holds the plan: it cannot be signed."""


# --- the rules, read once per change of the file -------------------------------------------------------

_rules_cache: dict[str, tuple[float, RuleSet]] = {}


def clinic_rules() -> RuleSet:
    """The clinic's rule file, re-read when it changes on disk (a clinic may edit it while running)."""
    from painrewire.plans.rules import DEFAULT_RULES_PATH

    path = str(DEFAULT_RULES_PATH)
    stamp = os.stat(path).st_mtime
    cached = _rules_cache.get(path)
    if cached is None or cached[0] != stamp:
        _rules_cache[path] = (stamp, load_rules(path))
    return _rules_cache[path][1]


def rule_sources() -> dict[str, str]:
    """Rule id -> where it comes from, for the clinician's view of the fired rules (and the plan's own
    reasons: a declined therapy, a missing consent, the weekly cap)."""
    return GUARD_SOURCES | {rule.id: rule.source for rule in clinic_rules().rules}


# --- from assessment to profile ------------------------------------------------------------------------


def build_profile(session: Session, patient: Patient, *, now: datetime | None = None) -> AssessmentProfile:
    """Everything the rules read, from what is stored for a patient whose access was already checked.

    Red flags are those of open red-flag alerts: once a clinician has assessed and acknowledged one, it no
    longer holds the plan. Scores are the newest valid score of each instrument the rules know.

    So that the plan fits the person, the profile also carries leg pain from the intake, the goals and the
    answer about each therapy from the preferences page, what was tried before and how it went (the treatment
    history), which consents are current, and the clinician's judgements that stand (clinical flags).
    """
    intake = session.scalar(
        select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc()).limit(1)
    )
    if intake is None:
        raise NoAssessment(
            "There is no intake yet: the plan rules need the pain's duration and the red-flag screen. "
            "Ask the patient to complete the intake first."
        )
    open_alerts = assessments.safety_hold(session, patient.id)
    red_flags = sorted(
        {
            str(flag.get("condition", "red flag"))
            for alert in open_alerts
            if alert.kind == AlertKind.RED_FLAG
            for flag in (alert.details or {}).get("red_flags", [])
            if isinstance(flag, dict)
        }
        | {"red flag" for alert in open_alerts if alert.kind == AlertKind.RED_FLAG and not alert.details}
    )
    scores = {
        instrument: ScoreSummary(
            total=r.total, band=r.band, subscales=dict(r.subscales or {}), flags=list(r.flags or [])
        )
        for instrument, r in assessments.latest_scores(session, patient).items()
        if r.valid and instrument in INSTRUMENTS
    }
    checklist = session.scalar(
        select(ChecklistResponse)
        .where(ChecklistResponse.patient_id == patient.id)
        .order_by(ChecklistResponse.created_at.desc())
        .limit(1)
    )
    return AssessmentProfile(
        pain_duration_weeks=intake.pain_duration_weeks,
        red_flags=red_flags,
        leg_pain=intake.leg_pain,
        goals=tuple(therapy_preferences.goals_for(session, patient)),
        preferences=Preferences(
            choices={m.value: c for m, c in therapy_preferences.preferences_for(session, patient).items()}
        ),
        history=_treatment_history(session, patient),
        consent=Consent(
            **{k: v for k, v in consents.consent_summary(session, patient).items() if k in CONSENT_KINDS}
        ),
        clinician=_clinician_notes(session, patient),
        open_safety_alerts=len(open_alerts),
        scores=scores,
        neuroplastic_checklist_level=checklist.level
        if checklist is not None and checklist.level in CHECKLIST_LEVELS
        else None,
        gmi=_laterality(session, patient),
        neurofeedback=_neurofeedback(session, patient),
        sleep_problems=_sleep_problems(session, patient, now=now),
        average_pain_last_week=_pain_before_treatment(session, patient, intake, now=now),
        cleared=clearance.state_for(session, patient).cleared,
    )


def _pain_before_treatment(
    session: Session, patient: Patient, intake: Intake, *, now: datetime | None = None
) -> float | None:
    """Average pain over the week before treatment, as the outcome baseline defines it
    (`painrewire.diary.outcomes.baseline_measure`): before treatment has started, as if it started today.

    Before the first plan the intake's "average pain over the last week" is often the only rating, so it
    stands in when it is no older than the baseline's PEG lookback; nothing older is used.
    """
    today = patient.local_today(now)
    start = courses.start_for(session, patient)
    day = start.day if start is not None and start.day <= today else today
    points, pegs = progress.pain_data(session, patient)
    measure = baseline_measure(
        [p for p in points if p.day <= day], [p for p in pegs if p.day <= day], start=day
    )
    if measure is not None:
        return measure.value
    if local_day(patient.timezone, intake.created_at) >= day - timedelta(days=BASELINE_PEG_DAYS):
        return float(intake.average_pain_last_week)
    return None


def _treatment_history(session: Session, patient: Patient) -> TreatmentHistory | None:
    """What the patient has tried, by kind, or None when nothing is recorded."""
    summary = treatment_history.history_summary(session, patient)
    if not summary["tried"]:
        return None
    return TreatmentHistory(
        tried=tuple(summary["tried"]),
        failed=tuple(summary["failed"]),
        partly_helped=tuple(summary["partly_helped"]),
        helped=tuple(summary["helped"]),
    )


def _clinician_notes(session: Session, patient: Patient) -> dict[str, ClinicianNote]:
    """The clinician's judgements that stand, with who recorded them and the day (the patient's calendar)."""
    return {
        flag.kind.value: ClinicianNote(
            by=flag.recorded_by.full_name if flag.recorded_by else "A former clinician",
            on=patient.local_today(flag.recorded_at),
            note=flag.note,
        )
        for flag in clinical_flags.standing_for(session, patient)
    }


def _laterality(session: Session, patient: Patient) -> LateralityResult | None:
    """The latest scored GMI left/right block, when the GMI module has recorded one."""
    from painrewire.programs.gmi.models import LateralityBlock

    block = session.scalar(
        select(LateralityBlock)
        .where(
            LateralityBlock.patient_id == patient.id,
            LateralityBlock.accuracy.is_not(None),
            LateralityBlock.median_rt_ms.is_not(None),
        )
        .order_by(LateralityBlock.started_at.desc())
        .limit(1)
    )
    if block is None or block.accuracy is None or block.median_rt_ms is None:
        return None
    if not 0 <= block.accuracy <= 1 or block.median_rt_ms <= 0:
        return None
    flag = (block.scores or {}).get("left_right_flag", False)
    return LateralityResult(block.accuracy, block.median_rt_ms, left_right_flag=flag is True)


def _neurofeedback(session: Session, patient: Patient) -> NeurofeedbackResult | None:
    """Completed, real (not sham) neurofeedback sessions and their mean reward rate.

    Sessions of a series still blinded are left out altogether, real ones too: a count that rose only after
    the real sessions would tell the patient and the care team which of the series' sessions were sham.
    """
    from painrewire.neurofeedback.models import NeurofeedbackSession, SessionStatus

    done = list(
        session.scalars(
            select(NeurofeedbackSession).where(
                NeurofeedbackSession.patient_id == patient.id,
                NeurofeedbackSession.status == SessionStatus.COMPLETED,
                NeurofeedbackSession.sham.is_(False),
                NeurofeedbackSession.blinded.is_(False),
            )
        )
    )
    if not done:
        return None
    rates = [
        float(rate)
        for s in done
        if isinstance(rate := (s.summary or {}).get("reward_rate"), int | float) and 0 <= rate <= 1
    ]
    return NeurofeedbackResult(sessions_done=len(done), reward_rate=mean(rates) if rates else None)


def _sleep_problems(session: Session, patient: Patient, *, now: datetime | None = None) -> bool | None:
    today = patient.local_today(now)
    values = list(
        session.scalars(
            select(DiaryEntry.sleep_quality).where(
                DiaryEntry.patient_id == patient.id,
                DiaryEntry.day > today - timedelta(days=SLEEP_WINDOW_DAYS),
                DiaryEntry.day <= today,
            )
        )
    )
    if len(values) < SLEEP_MIN_ENTRIES:
        return None
    return mean(values) <= SLEEP_PROBLEM_MAX


# --- holds -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Why the plan is held now: one open safety alert, as the clinician and as the patient read it."""

    kind: str
    reason: str
    patient_message: str
    alert_id: uuid.UUID


def holds(session: Session, patient: Patient) -> list[Hold]:
    """Open safety alerts (red flags included) hold the plan, whatever any version says."""
    catalogue = task_catalogue()
    return [
        Hold(
            kind=alert.kind.value,
            reason=f"Open safety alert: {alert.summary}",
            patient_message=catalogue.hold_message(alert.kind.value),
            alert_id=alert.id,
        )
        for alert in assessments.safety_hold(session, patient.id)
    ]


def _signing_problems(
    session: Session, patient: Patient, version: PlanVersion, latest: PlanVersion
) -> list[str]:
    problems = [h.reason for h in holds(session, patient)]
    if problems:
        return problems
    if version.status != VersionStatus.PROPOSED:
        return [f"Version {version.number} is {version.status.value}; only a proposed version can be signed."]
    if latest.id != version.id:
        return [f"Version {latest.number} is newer; review and sign that one."]
    proposal = PlanProposal.from_dict(version.content)
    if proposal.held:
        return [
            "This version was proposed while the plan was on hold ("
            + "; ".join(proposal.hold_reasons)
            + "). The alert has been cleared: propose the plan again from the assessment."
        ]
    if not proposal.modules:
        return ["The plan has no modules; add at least one before signing."]
    return []


# --- what the patient reads ---------------------------------------------------------------------------------


def withheld_reasons(
    session: Session, patient: Patient, proposal: PlanProposal, *, now: datetime | None = None
) -> set[str]:
    """Ids of fired rules whose patient reason quotes study results that no longer fit the patient now
    (`painrewire.plans.rules.withdrawn_evidence`); checked only when the plan has such a reason."""
    quoting = [f for f in proposal.fired if f.quotes_evidence]
    if not quoting:
        return set()
    try:
        profile = build_profile(session, patient, now=now)
    except NoAssessment:
        return {f.id for f in quoting}
    return withdrawn_evidence(proposal.fired, profile, clinic_rules())


def patient_reasons(
    session: Session, patient: Patient, proposal: PlanProposal, *, now: datetime | None = None
) -> list[FiredRule]:
    """The fired rules whose reasons the patient reads, each text once, without study results that no longer
    fit them."""
    withheld = withheld_reasons(session, patient, proposal, now=now)
    shown: dict[str, FiredRule] = {}
    for fired in proposal.fired:
        if fired.id not in withheld:
            shown.setdefault(fired.reason_patient, fired)
    return list(shown.values())


# --- versions ----------------------------------------------------------------------------------------------


def _require_clinician(actor: User, what: str) -> None:
    access.require_role(
        actor, Role.CLINICIAN, message=f"Only a clinician on the patient's care team can {what}."
    )


def _latest(session: Session, patient_id: uuid.UUID) -> PlanVersion | None:
    return session.scalar(
        select(PlanVersion)
        .where(PlanVersion.patient_id == patient_id)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def _add_version(
    session: Session,
    actor: User,
    patient: Patient,
    proposal: PlanProposal,
    *,
    reason: str,
    starts_on: date,
) -> PlanVersion:
    """Store a new proposed version; older proposals waiting for a signature are superseded by it."""
    number = int(
        session.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.patient_id == patient.id)) or 0
    )
    version = PlanVersion(
        patient_id=patient.id,
        number=number + 1,
        content=proposal.to_dict(),
        status=VersionStatus.PROPOSED,
        created_at=utcnow(),
        created_by_id=actor.id,
        change_reason=reason,
        starts_on=starts_on,
    )
    try:
        with session.begin_nested():
            for waiting in session.scalars(
                select(PlanVersion).where(
                    PlanVersion.patient_id == patient.id, PlanVersion.status == VersionStatus.PROPOSED
                )
            ):
                waiting.status = VersionStatus.SUPERSEDED
            session.add(version)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Someone else changed this plan at the same moment; reload the page to see their version."
        ) from exc
    return version


def propose(
    session: Session, actor: User, patient_id: uuid.UUID, *, now: datetime | None = None
) -> PlanVersion:
    """Run the clinic's rules on the patient's current assessment and store the result as a new version."""
    patient = access.patient_for(session, actor, patient_id, action=AuditAction.CREATE, resource_type="plan")
    _require_clinician(actor, "propose a plan")
    proposal = evaluate_rules(build_profile(session, patient, now=now), clinic_rules())
    signed = signed_plan(session, patient)
    starts_on = signed.starts_on if signed is not None else patient.local_today(now)
    reason = (
        "Proposed by the clinic's rules (version " + proposal.rules_version + ") from the current assessment."
    )
    return _add_version(session, actor, patient, proposal, reason=reason, starts_on=starts_on)


#: A plan's start day may be moved at most this far from today, either way.
MAX_START_SHIFT_DAYS = 366


def edit(session: Session, actor: User, patient_id: uuid.UUID, data: PlanEdit) -> PlanVersion:
    """Make a new version from the newest one with a clinician's changes: modules and how often, the
    disciplines, the questionnaires and when, the intensity or the start day, and why."""
    patient = access.patient_for(session, actor, patient_id, action=AuditAction.UPDATE, resource_type="plan")
    _require_clinician(actor, "change a plan")
    latest = _latest(session, patient.id)
    if latest is None:
        raise Conflict("There is no plan to change yet: propose one from the assessment first.")
    if not data.modules:
        raise InvalidInput("A plan needs at least one module.", field="modules")
    ids = [m.id.value for m in data.modules]
    if len(set(ids)) != len(ids):
        raise InvalidInput("Each module can be in the plan once.", field="modules")
    for module in data.modules:
        wrong = module.check_focus()
        if wrong:
            known = ", ".join(MODULE_FOCUS[module.id.value]) or "none"
            raise InvalidInput(
                f"{module.id.value} has no focus {wrong[0]!r} (known: {known}).", field="modules"
            )
    instruments = [q.instrument.value for q in data.questionnaires]
    if len(set(instruments)) != len(instruments):
        raise InvalidInput("Each questionnaire can be listed once.", field="questionnaires")
    old = PlanProposal.from_dict(latest.content)
    modules = tuple(
        sorted(
            (
                PlannedModule(
                    id=m.id.value,
                    sessions_per_week=m.sessions_per_week,
                    weeks=m.weeks,
                    focus=tuple(f for f in MODULE_FOCUS[m.id.value] if f in m.focus),
                )
                for m in data.modules
            ),
            key=lambda m: MODULES.index(m.id),
        )
    )
    end_week = max(m.weeks for m in modules)
    order = {name: i for i, name in enumerate(INSTRUMENTS)}
    questionnaires = tuple(
        QuestionnaireSchedule(q.instrument.value, schedule_weeks([w.value for w in q.schedule], end_week))
        for q in sorted(data.questionnaires, key=lambda q: order[q.instrument.value])
    )
    disciplines = tuple(d for d in DISCIPLINES if d in {x.value for x in data.disciplines})
    proposal = PlanProposal(
        modules=modules,
        disciplines=disciplines,
        questionnaires=questionnaires,
        intensity=data.intensity.value if data.intensity else old.intensity,
        end_week=end_week,
        held=old.held,
        hold_reasons=old.hold_reasons,
        review_reasons=old.review_reasons,
        fired=old.fired,
        rules_version=old.rules_version,
    )
    starts_on = data.starts_on or latest.starts_on
    if data.starts_on is not None:
        today = patient.local_today()
        validation.check_day(
            data.starts_on,
            field="starts_on",
            earliest=validation.add_days(today, -MAX_START_SHIFT_DAYS),
            latest=validation.add_days(today, MAX_START_SHIFT_DAYS),
            earliest_reason="a year ago: choose a start within a year of today",
            latest_reason="a year from today: choose a start within a year of today",
        )
    if proposal == old and starts_on == latest.starts_on:
        raise InvalidInput(f"Nothing changed from version {latest.number}.", field="modules")
    return _add_version(session, actor, patient, proposal, reason=data.reason.strip(), starts_on=starts_on)


@dataclass(frozen=True)
class Signed:
    version: PlanVersion
    assigned: list[str]


def sign(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Signed:
    """A clinician on the care team signs the newest proposed version; it becomes the plan the patient
    follows, the one before it is superseded, and the questionnaires due now are assigned. The first
    signature records the day treatment started (`painrewire.plans.course.record_start`)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type="plan", resource_id=version_id
    )
    _require_clinician(actor, "sign a plan")
    version = session.scalar(
        select(PlanVersion).where(PlanVersion.id == version_id, PlanVersion.patient_id == patient.id)
    )
    latest = _latest(session, patient.id)
    if version is None or latest is None:
        raise NotFound("No such plan version for this patient.")
    problems = _signing_problems(session, patient, version, latest)
    if problems:
        held = bool(holds(session, patient))
        message = ("The plan is on hold until a clinician clears it: " if held else "") + " ".join(problems)
        raise PlanHeld(message) if held else Conflict(message)
    try:
        with session.begin_nested():
            for older in session.scalars(
                select(PlanVersion).where(
                    PlanVersion.patient_id == patient.id, PlanVersion.status == VersionStatus.SIGNED
                )
            ):
                older.status = VersionStatus.SUPERSEDED
            session.flush()
            version.status = VersionStatus.SIGNED
            version.signed_at = now or utcnow()
            version.signed_by_id = actor.id
            version.sign_note = note.strip()
            session.flush()
    except IntegrityError as exc:
        raise Conflict("Another version was signed at the same moment; reload to see it.") from exc
    courses.record_start(session, patient)
    assigned = _assign_due(session, actor, patient, version, now=now)
    return Signed(version=version, assigned=assigned)


# --- reading versions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    """A version with its proposal and what changed from the one before."""

    version: PlanVersion
    proposal: PlanProposal
    changes: list[str]


def _views(found: list[PlanVersion]) -> list[VersionView]:
    """Newest first, each with its changes from the previous number."""
    by_number = {v.number: v for v in found}
    views = []
    for v in found:
        proposal = PlanProposal.from_dict(v.content)
        before = by_number.get(v.number - 1)
        changes = describe_changes(PlanProposal.from_dict(before.content) if before else None, proposal)
        if before is not None and before.starts_on != v.starts_on:
            changes.insert(0, f"Start day: {before.starts_on.isoformat()} → {v.starts_on.isoformat()}.")
        views.append(VersionView(v, proposal, changes))
    return views


def versions_for(session: Session, patient: Patient) -> list[VersionView]:
    found = list(
        session.scalars(
            select(PlanVersion)
            .where(PlanVersion.patient_id == patient.id)
            .options(joinedload(PlanVersion.created_by), joinedload(PlanVersion.signed_by))
            .order_by(PlanVersion.number.desc())
        )
    )
    return _views(found)


def versions(session: Session, actor: User, patient_id: uuid.UUID) -> list[VersionView]:
    """Every version of a patient's plan, newest first, with who, when, why and what changed."""
    patient = access.patient_for(session, actor, patient_id, resource_type="plan")
    return versions_for(session, patient)


def get_version(session: Session, actor: User, patient_id: uuid.UUID, version_id: uuid.UUID) -> VersionView:
    patient = access.patient_for(session, actor, patient_id, resource_type="plan", resource_id=version_id)
    for view in versions_for(session, patient):
        if view.version.id == version_id:
            return view
    raise NotFound("No such plan version for this patient.")


@dataclass
class PlanState:
    """What a clinician sees of one patient's plan: the signed version, the newest, holds and the schedule."""

    patient: Patient
    current: VersionView | None
    latest: VersionView | None
    holds: list[Hold]
    cannot_sign_because: list[str]
    missing_disciplines: list[str]
    questionnaires: list[Occurrence] = field(default_factory=list)

    @property
    def can_sign(self) -> bool:
        return self.latest is not None and not self.cannot_sign_because


def plan_state_for(session: Session, patient: Patient, *, now: datetime | None = None) -> PlanState:
    """The plan's state for a patient whose access was already checked (for panels and pages)."""
    views = versions_for(session, patient)
    current = next((v for v in views if v.version.status == VersionStatus.SIGNED), None)
    latest = views[0] if views else None
    problems = _signing_problems(session, patient, latest.version, latest.version) if latest else []
    team = set(
        session.scalars(
            select(User.discipline)
            .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
            .where(CareTeamMember.patient_id == patient.id)
        )
    )
    wanted = latest.proposal.disciplines if latest is not None else ()
    missing = [d for d in wanted if d not in {getattr(t, "value", t) for t in team}]
    state = PlanState(
        patient=patient,
        current=current,
        latest=latest,
        holds=holds(session, patient),
        cannot_sign_because=problems,
        missing_disciplines=missing,
    )
    if current is not None:
        state.questionnaires = questionnaire_schedule(session, patient, current, now=now)
    return state


def plan_state(session: Session, actor: User, patient_id: uuid.UUID) -> PlanState:
    patient = access.patient_for(session, actor, patient_id, resource_type="plan")
    return plan_state_for(session, patient)


# --- repeated questionnaires -------------------------------------------------------------------------------


def questionnaire_schedule(
    session: Session, patient: Patient, plan: VersionView, *, now: datetime | None = None
) -> list[Occurrence]:
    """Each questionnaire the signed plan repeats, with whether it is done, due, missed or still to come."""
    completed: dict[str, list[date]] = defaultdict(list)
    for response in assessments.history(session, patient):
        completed[response.instrument_id].append(patient.local_today(response.completed_at))
    return occurrences(
        plan.proposal.questionnaires, plan.version.starts_on, completed, patient.local_today(now)
    )


def _assign_due(
    session: Session, actor: User, patient: Patient, version: PlanVersion, *, now: datetime | None = None
) -> list[str]:
    view = VersionView(version, PlanProposal.from_dict(version.content), [])
    due = [o for o in questionnaire_schedule(session, patient, view, now=now) if o.status == DueStatus.DUE]
    waiting = {a.instrument_id for a in assessments.open_assignments(session, patient)}
    assigned = []
    for occurrence in due:
        if occurrence.instrument in waiting:
            continue
        try:
            assessments.assign(session, actor, patient.id, occurrence.instrument, due_on=occurrence.due_on)
        except NotFound:
            continue  # an instrument this clinic does not run
        waiting.add(occurrence.instrument)
        assigned.append(occurrence.instrument)
    return assigned


def assign_due_questionnaires(
    session: Session, actor: User, patient_id: uuid.UUID, *, now: datetime | None = None
) -> list[str]:
    """Ask the patient to fill in every questionnaire the signed plan has due now (not already waiting)."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="questionnaire_assignment"
    )
    _require_clinician(actor, "assign questionnaires")
    plan = signed_plan(session, patient)
    if plan is None:
        raise Conflict("There is no signed plan yet, so no questionnaire is due by the plan.")
    if holds(session, patient):
        raise PlanHeld("The plan is on hold until a clinician clears the open safety alert.")
    return _assign_due(session, actor, patient, plan, now=now)


# --- this week -----------------------------------------------------------------------------------------


@dataclass
class DueQuestionnaire:
    occurrence: Occurrence

    @property
    def name(self) -> str:
        return INSTRUMENT_LABELS.get(self.occurrence.instrument, self.occurrence.instrument)

    @property
    def href(self) -> str:
        return QUESTIONNAIRE_HREF.format(instrument=self.occurrence.instrument)


@dataclass
class WeekView:
    """A patient's week: the signed plan's tasks and progress, what is next, questionnaires due, streak."""

    today: date
    plan: VersionView | None
    holds: list[Hold] = field(default_factory=list)
    week: int | None = None
    week_starts: date | None = None
    week_ends: date | None = None
    tasks: list[Task] = field(default_factory=list)
    questionnaires_due: list[DueQuestionnaire] = field(default_factory=list)
    streak_days: int = 0
    days_practised_this_week: int = 0
    waiting_for_signature: bool = False
    #: The plan's fired rules whose reasons the patient reads now (`patient_reasons`).
    reasons: list[FiredRule] = field(default_factory=list)
    #: The day a clinician recorded as the end of treatment, once it has come: no more tasks.
    ended_on: date | None = None

    @property
    def paused(self) -> bool:
        return bool(self.holds)

    @property
    def next_task(self) -> Task | None:
        return None if self.paused else next_task(self.tasks)

    @property
    def not_started(self) -> bool:
        return self.week is not None and self.week < 1

    @property
    def finished(self) -> bool:
        return self.plan is not None and self.week is not None and self.week > self.plan.proposal.end_week

    @property
    def done(self) -> int:
        return sum(min(t.done, t.target) for t in self.tasks)

    @property
    def target(self) -> int:
        return sum(t.target for t in self.tasks)


def _counts(
    session: Session, patient: Patient, start: date, end: date
) -> tuple[dict[tuple[str, str], int], dict[date, dict[tuple[str, str], int]]]:
    week: dict[tuple[str, str], int] = defaultdict(int)
    by_day: dict[date, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    rows = session.execute(
        select(PracticeLog.day, PracticeLog.module, PracticeLog.activity, func.count())
        .where(PracticeLog.patient_id == patient.id, PracticeLog.day >= start, PracticeLog.day <= end)
        .group_by(PracticeLog.day, PracticeLog.module, PracticeLog.activity)
    )
    for day, module, activity, n in rows:
        key = (str(getattr(module, "value", module)), str(activity))
        week[key] += int(n)
        by_day[day][key] += int(n)
    return week, by_day


def this_week_for(session: Session, patient: Patient, *, now: datetime | None = None) -> WeekView:
    """The patient's tasks this plan week, done counts, next task, due questionnaires and streak."""
    today = patient.local_today(now)
    signed = signed_plan(session, patient)
    latest = _latest(session, patient.id)
    plan = _views([signed])[0] if signed is not None else None
    view = WeekView(
        today=today,
        plan=plan,
        holds=holds(session, patient),
        streak_days=streak(session, patient, today=today),
        waiting_for_signature=latest is not None and latest.status == VersionStatus.PROPOSED,
    )
    if plan is None:
        return view
    view.reasons = patient_reasons(session, patient, plan.proposal, now=now)
    view.week = plan_week(plan.version.starts_on, today)
    course = courses.course_for(session, patient)
    if course.ended_on is not None and course.ended_on <= today:
        view.ended_on = course.ended_on
        return view
    if view.week < 1:
        return view
    view.week_starts, view.week_ends = week_dates(plan.version.starts_on, view.week)
    week_counts, by_day = _counts(session, patient, view.week_starts, min(view.week_ends, today))
    view.days_practised_this_week = len(by_day)
    view.tasks = weekly_tasks(plan.proposal, view.week, week_counts, by_day.get(today, {}))
    view.questionnaires_due = [
        DueQuestionnaire(o)
        for o in questionnaire_schedule(session, patient, plan, now=now)
        if o.status == DueStatus.DUE
    ]
    return view


def this_week(
    session: Session, actor: User, patient_id: uuid.UUID, *, now: datetime | None = None
) -> WeekView:
    patient = access.patient_for(session, actor, patient_id, resource_type="plan_tasks")
    return this_week_for(session, patient, now=now)


def streak(session: Session, patient: Patient, *, today: date) -> int:
    """Days in a row with any practice, ending today, or yesterday when today's is still to come."""
    days = set(
        session.scalars(
            select(PracticeLog.day)
            .where(PracticeLog.patient_id == patient.id, PracticeLog.day >= today - timedelta(days=366))
            .distinct()
        )
    )
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


# --- the clinician's home ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingPlan:
    patient: Patient
    version: PlanVersion
    held: bool


def waiting_for_signature(session: Session, clinician: User) -> list[WaitingPlan]:
    """The caseload's newest plan versions that wait for a signature, oldest first, held ones marked."""
    newest = (
        select(PlanVersion.patient_id, func.max(PlanVersion.number).label("number"))
        .where(PlanVersion.patient_id.in_(access.visible_patient_ids(clinician)))
        .group_by(PlanVersion.patient_id)
        .subquery()
    )
    rows = session.execute(
        select(PlanVersion, Patient)
        .join(
            newest, (newest.c.patient_id == PlanVersion.patient_id) & (newest.c.number == PlanVersion.number)
        )
        .join(Patient, Patient.id == PlanVersion.patient_id)
        .where(PlanVersion.status == VersionStatus.PROPOSED)
        .options(joinedload(Patient.user))
        .order_by(PlanVersion.created_at)
    ).all()
    held_ids = set(
        session.scalars(
            select(SafetyAlert.patient_id).where(
                SafetyAlert.acknowledged_at.is_(None),
                SafetyAlert.patient_id.in_([p.id for _, p in rows]),
            )
        )
    )
    audit.record_shown(
        session, clinician, "plan", [p.id for _, p in rows], reason="plans waiting for a signature"
    )
    return [WaitingPlan(patient, version, patient.id in held_ids) for version, patient in rows]
