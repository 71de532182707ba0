"""Outcome statistics: pain before treatment, at the end and at follow-ups, responders, questionnaire change
against MCIDs, cohorts.

The numbers a clinician reads on the dashboard and in reports, computed from plain values: diary points (day,
average pain 0-10), PEG item 1 answers (average pain in the past week, 0-10) and questionnaire totals. Every
"not enough data" case is an explicit state, never a zero or an error, so a cohort count never mistakes a
missing measure for a non-responder, and no value is ever carried forward from an earlier week.

Definitions (each tested at its boundaries):

- Treatment start: the day the first plan version was signed or the day of the first practice session,
  whichever came first (`treatment_start`).
- A week's pain: PEG item 1 ("your pain on average in the past week", Krebs 2009) when a PEG falls in the
  week's window; otherwise the mean of the diary's average pain over the 7 days, when at least 4 of them have
  an entry. PEG item 1 wins because it is the question the PRT trial asked for its primary outcome (one rating
  of average pain over the last week, Ashar 2022) and the question the clinic asks again at the end and at
  every follow-up, so a baseline and a follow-up compare the same question; the diary mean (the mean of
  daily ratings of the last 24 hours) is a different measurement, kept as a fallback so that a patient who
  kept a diary but missed the PEG is still measured. Every value says which source it came from.
- Baseline: the week before treatment starts. The PEG nearest before the start (completed in the
  `BASELINE_PEG_DAYS` days up to and including the start day: the assessment visit is often the day the
  plan is signed); otherwise the diary's 7 days before the start day.
- Current: the PEG completed in the 7 days ending today, else the diary's 7 days ending today.
- Follow-up time points: the end of treatment (the day a clinician recorded, else the signed plan's planned
  end) and 3, 6 and 12 calendar months after it, in the patient's own calendar. A time point's measure is a
  PEG from `FOLLOW_UP_OPENS_DAYS` days before its due day to `FOLLOW_UP_CLOSES_DAYS` days after (the one
  nearest the due day), else the diary's 7 days ending on the due day. No measure is "missing", never the
  last value carried forward.
- Responder: at least 30 % AND at least 2 points less pain than at baseline (IMMPACT, Dworkin 2008: 30 % is
  moderately important, and on a 0-10 scale about 2 points; many trials require both). Substantial: at least
  50 % and 2 points less (so every substantial responder is also a responder). The change is judged as it is
  reported: points rounded half up to two decimals, percent to one decimal. A baseline of 20/3 (printed
  6.67) falling to 14/3 (4.67) is 2.00 points and 30.0 %: a responder, as a reader of the printed figures
  would judge; 6.67 to 4.67 written as such (29.985 %, printed 30.0 %) counts the same. 5 to 3.5 is 30 % but
  1.5 points: not a responder.
- Worsening: at least 2 points or at least 30 % more pain than at baseline, rounded the same way.
- Pain-free or nearly pain-free: a week's pain of 1.0 or less (Ashar 2022: 1-week average pain 0 or 1 of
  10). The trial asked for one whole-number rating, as PEG item 1 is; a diary mean is compared with 1 without
  rounding, so a week averaging 1.4 does not count (rounding would overstate the outcome).
- Trial-comparable: a baseline of 4 or more and pain for 26 weeks or more at intake, as the PRT trial
  enrolled (adults with back pain for at least 6 months and average pain of at least 4/10 over the last
  week). The trial's pain-free figure is compared only with patients like these; for everyone it is reported
  separately and labelled so.

The package is a pure core: it imports no web, database or template code. `measures`: a week's pain, the
baseline, follow-up windows; `responders`: judging a change, and a group's responders; `patients`: one
patient's outcome; `questionnaires`: change against MCIDs; `stats`: proportions with Wilson intervals;
`cohorts`: group summaries. The database reading that feeds them stays with the services that call them.

References
----------
Ashar YK, Gordon A, Schubiner H, et al. Effect of Pain Reprocessing Therapy vs Placebo and Usual Care for
Patients With Chronic Back Pain: A Randomized Clinical Trial. JAMA Psychiatry 2022;79(1):13-23.
Dworkin RH, Turk DC, Wyrwich KW, et al. Interpreting the clinical importance of treatment outcomes in chronic
pain clinical trials: IMMPACT recommendations. J Pain 2008;9(2):105-121.
Krebs EE, Lorenz KA, Bair MJ, et al. Development and initial validation of the PEG, a three-item scale
assessing pain intensity and interference. J Gen Intern Med 2009;24(6):733-8.
"""

from painrewire.diary.outcomes.cohorts import (
    CohortSummary,
    TimePointSummary,
    baseline_summary,
    cohort_summary,
    time_point_summary,
)
from painrewire.diary.outcomes.measures import (
    BASELINE_ENTRIES,
    BASELINE_PEG_DAYS,
    FOLLOW_UP_CLOSES_DAYS,
    FOLLOW_UP_OPENS_DAYS,
    MIN_WINDOW_ENTRIES,
    WEEK_DAYS,
    DiaryPoint,
    MeasureSource,
    PainMeasure,
    PegPoint,
    RollingPoint,
    StartSource,
    TimePoint,
    TreatmentStart,
    add_months,
    baseline_measure,
    current_mean,
    current_measure,
    first_week_mean,
    follow_up_due,
    follow_up_window,
    rolling_mean,
    time_point_measure,
    treatment_start,
)
from painrewire.diary.outcomes.patients import (
    FollowUpStatus,
    OutcomeStatus,
    PatientOutcome,
    TimePointOutcome,
    follow_up_outcomes,
    not_practising,
    patient_outcome,
    weekly_minutes,
)
from painrewire.diary.outcomes.questionnaires import (
    MCID_TABLE,
    ChangeVerdict,
    MinimalImportantDifference,
    QuestionnaireChange,
    questionnaire_change,
)
from painrewire.diary.outcomes.responders import (
    PAIN_FREE_MAX,
    RESPONDER_PERCENT,
    RESPONDER_POINTS,
    SUBSTANTIAL_PERCENT,
    TRIAL_MIN_PAIN,
    TRIAL_MIN_WEEKS,
    WORSENING_PERCENT,
    WORSENING_POINTS,
    Change,
    Responders,
    group_responders,
    judge_change,
    pain_free_or_nearly,
    trial_comparable,
)
from painrewire.diary.outcomes.stats import (
    Z_95,
    Proportion,
    wilson_interval,
)

__all__ = [
    "BASELINE_ENTRIES",
    "BASELINE_PEG_DAYS",
    "FOLLOW_UP_CLOSES_DAYS",
    "FOLLOW_UP_OPENS_DAYS",
    "MCID_TABLE",
    "MIN_WINDOW_ENTRIES",
    "PAIN_FREE_MAX",
    "RESPONDER_PERCENT",
    "RESPONDER_POINTS",
    "SUBSTANTIAL_PERCENT",
    "TRIAL_MIN_PAIN",
    "TRIAL_MIN_WEEKS",
    "WEEK_DAYS",
    "WORSENING_PERCENT",
    "WORSENING_POINTS",
    "Z_95",
    "Change",
    "ChangeVerdict",
    "CohortSummary",
    "DiaryPoint",
    "FollowUpStatus",
    "MeasureSource",
    "MinimalImportantDifference",
    "OutcomeStatus",
    "PainMeasure",
    "PatientOutcome",
    "PegPoint",
    "Proportion",
    "QuestionnaireChange",
    "Responders",
    "RollingPoint",
    "StartSource",
    "TimePoint",
    "TimePointOutcome",
    "TimePointSummary",
    "TreatmentStart",
    "add_months",
    "baseline_measure",
    "baseline_summary",
    "cohort_summary",
    "current_mean",
    "current_measure",
    "first_week_mean",
    "follow_up_due",
    "follow_up_outcomes",
    "follow_up_window",
    "group_responders",
    "judge_change",
    "not_practising",
    "pain_free_or_nearly",
    "patient_outcome",
    "questionnaire_change",
    "rolling_mean",
    "time_point_measure",
    "time_point_summary",
    "treatment_start",
    "trial_comparable",
    "weekly_minutes",
    "wilson_interval",
]
