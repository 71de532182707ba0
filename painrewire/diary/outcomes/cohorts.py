"""Cohorts: a group's pain this week and at each follow-up time point, counted and summarised.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from painrewire.diary.outcomes.measures import TimePoint
from painrewire.diary.outcomes.patients import OutcomeStatus, PatientOutcome, TimePointOutcome
from painrewire.diary.outcomes.responders import group_responders, pain_free_or_nearly
from painrewire.diary.outcomes.stats import Proportion, count_true, proportion


@dataclass(frozen=True)
class CohortSummary:
    """This week's pain of a group of patients (a caseload, a program, the clinic) against their baselines.

    ``n_patients`` counts everyone; ``n_not_started`` those whose treatment had not started. Responders and
    worsening are of the ``n_with_data`` started patients with both a baseline and a current week; the others
    are counted by what they miss, never filled in. Pain-free or nearly is given twice: for the
    trial-comparable patients only (``pain_free_trial_group``, of those with data who resemble the PRT trial's
    patients; ``n_outside_trial_group`` are left out of it) and for every started patient with a current week
    whatever their starting pain (``pain_free_everyone``).
    """

    n_patients: int
    n_not_started: int
    n_with_data: int
    n_no_baseline: int
    n_no_current: int
    n_no_data: int
    responder_30: Proportion
    responder_50: Proportion
    worsening: Proportion
    pain_free_trial_group: Proportion
    n_outside_trial_group: int
    pain_free_everyone: Proportion


def cohort_summary(outcomes: Sequence[PatientOutcome]) -> CohortSummary:
    """Summarise patient outcomes: counts and proportions with 95% Wilson intervals.

    Parameters
    ----------
    outcomes : sequence of PatientOutcome
        One per patient, already filtered (by clinician, program, discipline or dates) by the caller.

    Returns
    -------
    summary : CohortSummary
        Responders (30 % and 2 points; 50 % and 2 points) and worsening of the patients with complete data;
        pain-free or nearly for the trial-comparable ones and, separately, for everyone with a current week;
        patients without enough data counted separately by status.
    """
    complete = [o for o in outcomes if o.status is OutcomeStatus.COMPLETE]
    started = [o for o in outcomes if o.status is not OutcomeStatus.NOT_STARTED]
    comparable = [o for o in complete if o.trial_comparable]
    current = [o for o in started if o.current_measure is not None]
    n = len(complete)
    judged = group_responders([o.change for o in complete if o.change is not None])
    return CohortSummary(
        n_patients=len(outcomes),
        n_not_started=len(outcomes) - len(started),
        n_with_data=n,
        n_no_baseline=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_BASELINE),
        n_no_current=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_CURRENT),
        n_no_data=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_DATA),
        responder_30=judged.responder_30,
        responder_50=judged.responder_50,
        worsening=judged.worsening,
        pain_free_trial_group=proportion(
            count_true(o.pain_free_or_nearly for o in comparable), len(comparable)
        ),
        n_outside_trial_group=n - len(comparable),
        pain_free_everyone=proportion(count_true(o.pain_free_or_nearly for o in current), len(current)),
    )


@dataclass(frozen=True)
class TimePointSummary:
    """One time point across a cohort: how many were due, how many were measured, and their outcomes.

    ``completion`` is measured of due so far (``n_missing`` = due so far without a measure, whether still
    awaiting or past the window: not carried forward). Responders and worsening are of the measured patients
    with a baseline (``n_no_baseline`` measured without one); pain-free or nearly of the measured
    trial-comparable patients and, labelled separately, of every measured patient. For the baseline row
    (``time_point`` None) "due" means treatment started and "measured" means a baseline exists.
    """

    time_point: TimePoint | None
    n_due: int
    n_measured: int
    n_missing: int
    completion: Proportion
    n_no_baseline: int
    responder_30: Proportion
    responder_50: Proportion
    worsening: Proportion
    pain_free_trial_group: Proportion
    pain_free_everyone: Proportion

    @property
    def label(self) -> str:
        return "Before treatment (baseline)" if self.time_point is None else self.time_point.label


def baseline_summary(outcomes: Sequence[PatientOutcome]) -> TimePointSummary:
    """The baseline row of the follow-up table: started patients, and how many have a baseline week.

    Parameters
    ----------
    outcomes : sequence of PatientOutcome
        One per patient of the cohort (those not started are not due).
    """
    started = [o for o in outcomes if o.status is not OutcomeStatus.NOT_STARTED]
    measured = [o for o in started if o.baseline_measure is not None]
    comparable = [o for o in measured if o.trial_comparable]
    none = group_responders(())
    return TimePointSummary(
        time_point=None,
        n_due=len(started),
        n_measured=len(measured),
        n_missing=len(started) - len(measured),
        completion=proportion(len(measured), len(started)),
        n_no_baseline=0,
        responder_30=none.responder_30,
        responder_50=none.responder_50,
        worsening=none.worsening,
        pain_free_trial_group=proportion(
            count_true(o.baseline is not None and pain_free_or_nearly(o.baseline) for o in comparable),
            len(comparable),
        ),
        pain_free_everyone=proportion(
            count_true(o.baseline is not None and pain_free_or_nearly(o.baseline) for o in measured),
            len(measured),
        ),
    )


def time_point_summary(time_point: TimePoint, follow_ups: Iterable[TimePointOutcome]) -> TimePointSummary:
    """Summarise one time point over the cohort.

    Parameters
    ----------
    time_point : TimePoint
        The time point summarised.
    follow_ups : iterable of TimePointOutcome
        Every patient's time points (`follow_up_outcomes`); other time points are skipped. Patients without an
        end of treatment have none and are not due.

    Returns
    -------
    summary : TimePointSummary
    """
    due = [f for f in follow_ups if f.time_point is time_point and f.due_so_far]
    measured = [f for f in due if f.measure is not None]
    changes = [f.change for f in measured if f.change is not None]
    judged = group_responders(changes)
    comparable = [f for f in measured if f.trial_comparable]
    return TimePointSummary(
        time_point=time_point,
        n_due=len(due),
        n_measured=len(measured),
        n_missing=len(due) - len(measured),
        completion=proportion(len(measured), len(due)),
        n_no_baseline=len(measured) - len(changes),
        responder_30=judged.responder_30,
        responder_50=judged.responder_50,
        worsening=judged.worsening,
        pain_free_trial_group=proportion(
            count_true(f.pain_free_or_nearly for f in comparable), len(comparable)
        ),
        pain_free_everyone=proportion(count_true(f.pain_free_or_nearly for f in measured), len(measured)),
    )
