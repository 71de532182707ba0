"""Questionnaire change against minimal clinically important differences.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from painrewire.diary.outcomes.measures import EPS

# --- questionnaires -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinimalImportantDifference:
    """The smallest change in an instrument's score that matters to a patient, with its source.

    ``points`` is None when no MCID is established; ``points_above`` gives a larger MCID for baselines above
    a level (PCS); ``percent`` is an alternative relative MCID (pain NRS: 2 points or 30%).
    """

    instrument: str
    lowest: float
    highest: float
    higher_is_worse: bool
    points: float | None
    source: str
    points_above: tuple[float, float] | None = None
    percent: float | None = None


_OSTELO = (
    "Ostelo RW et al. Interpreting change scores for pain and functional status in low back pain: towards "
    "international consensus regarding minimal important change. Spine 2008;33(1):90-4"
)

#: MCIDs with their published sources; instruments without one say so.
MCID_TABLE: dict[str, MinimalImportantDifference] = {
    m.instrument: m
    for m in (
        MinimalImportantDifference(
            "pain_nrs",
            0,
            10,
            True,
            2,
            "Farrar JT et al. Pain 2001;94:149-58; " + _OSTELO + " (2 points or 30%)",
            percent=30,
        ),
        MinimalImportantDifference(
            "peg",
            0,
            10,
            True,
            None,
            "no established MCID: Krebs EE et al. J Gen Intern Med 2009;24(6):733-8 show the PEG is sensitive to "
            "change but give no confirmed MCID",
        ),
        MinimalImportantDifference(
            "bpi_interference",
            0,
            10,
            True,
            1,
            "IMMPACT: Dworkin RH et al. J Pain 2008;9(2):105-121 (1 point)",
        ),
        MinimalImportantDifference(
            "bpi_severity",
            0,
            10,
            True,
            None,
            "no established MCID for the BPI severity score in the clinic's references",
        ),
        MinimalImportantDifference("odi", 0, 100, True, 10, _OSTELO + " (10 points)"),
        MinimalImportantDifference("rmdq", 0, 24, True, 5, _OSTELO + " (5 points)"),
        MinimalImportantDifference(
            "pcs",
            0,
            52,
            True,
            8,
            "Monticone M et al. Eur J Phys Rehabil Med 2022;58(1):68-75 (8 points; 11 points when the baseline "
            "is above 30)",
            points_above=(30, 11),
        ),
        MinimalImportantDifference(
            "phq9", 0, 27, True, 5, "Löwe B et al. Med Care 2004;42(12):1194-1201 (5 points)"
        ),
        MinimalImportantDifference(
            "gad7", 0, 21, True, 4, "Toussaint A et al. J Affect Disord 2020;265:395-401 (4 points)"
        ),
        MinimalImportantDifference(
            "tsk11", 11, 44, True, None, "no established MCID for the TSK-11 in the clinic's references"
        ),
        MinimalImportantDifference(
            "pseq", 0, 60, False, None, "no established MCID for the PSEQ in the clinic's references"
        ),
        MinimalImportantDifference(
            "csi", 0, 100, True, None, "no established MCID for the CSI in the clinic's references"
        ),
        MinimalImportantDifference(
            "startback",
            0,
            9,
            True,
            None,
            "no MCID: the Keele STarT Back Tool stratifies risk and is not a change measure",
        ),
    )
}


class ChangeVerdict(enum.StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    NO_IMPORTANT_CHANGE = "no important change"
    NO_ESTABLISHED_MCID = "no established MCID"


@dataclass(frozen=True)
class QuestionnaireChange:
    """A questionnaire score's change from baseline judged against its MCID.

    ``change`` is current minus baseline; ``mcid`` is the MCID in points that applied (None when there is
    none); ``mcid_percent`` the relative alternative, when the source gives one.
    """

    instrument: str
    baseline: float
    current: float
    change: float
    mcid: float | None
    mcid_percent: float | None
    mcid_source: str
    verdict: ChangeVerdict


def questionnaire_change(
    instrument_id: str, baseline: float, current: float, *, higher_is_worse: bool | None = None
) -> QuestionnaireChange:
    """Judge the change of a questionnaire score against the instrument's minimal important difference.

    Parameters
    ----------
    instrument_id : str
        One of `MCID_TABLE`: pain_nrs, peg, bpi_interference, bpi_severity, odi, rmdq, pcs, phq9, gad7,
        tsk11, pseq, csi, startback.
    baseline, current : float
        Scores on the instrument's own scale.
    higher_is_worse : bool | None
        The instrument's direction; None takes it from the table (all but the PSEQ are higher-is-worse).
        A value that contradicts the table is refused.

    Returns
    -------
    change : QuestionnaireChange
        ``improved`` or ``worsened`` when the change reaches the MCID in the better or worse direction,
        ``no important change`` when it does not, ``no established MCID`` when the source gives none.

    Notes
    -----
    A change exactly equal to the MCID counts. The PCS MCID is 11 points when the baseline is above 30
    (catastrophisers), else 8. For pain NRS a change counts when it reaches 2 points or 30% of the baseline.
    """
    mid = MCID_TABLE.get(instrument_id)
    if mid is None:
        raise ValueError(f"unknown instrument {instrument_id!r} (known: {', '.join(MCID_TABLE)})")
    if higher_is_worse is not None and higher_is_worse != mid.higher_is_worse:
        direction = "higher is worse" if mid.higher_is_worse else "higher is better"
        raise ValueError(f"on {instrument_id} {direction}; higher_is_worse={higher_is_worse} contradicts it")
    for name, value in (("baseline", baseline), ("current", current)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{instrument_id} {name} score must be a number, got {value!r}")
        if not mid.lowest <= value <= mid.highest:
            raise ValueError(
                f"{instrument_id} {name} score {value:g} is outside the scale {mid.lowest:g}-{mid.highest:g}"
            )
    change = current - baseline
    points = mid.points
    if points is not None and mid.points_above is not None and baseline > mid.points_above[0]:
        points = mid.points_above[1]
    if points is None:
        verdict = ChangeVerdict.NO_ESTABLISHED_MCID
    else:
        size = abs(change)
        important = size >= points - EPS or (
            mid.percent is not None and baseline > 0 and size >= mid.percent / 100 * baseline - EPS
        )
        better = change < 0 if mid.higher_is_worse else change > 0
        if not important:
            verdict = ChangeVerdict.NO_IMPORTANT_CHANGE
        else:
            verdict = ChangeVerdict.IMPROVED if better else ChangeVerdict.WORSENED
    return QuestionnaireChange(
        instrument=instrument_id,
        baseline=float(baseline),
        current=float(current),
        change=float(change),
        mcid=points,
        mcid_percent=mid.percent,
        mcid_source=mid.source,
        verdict=verdict,
    )
