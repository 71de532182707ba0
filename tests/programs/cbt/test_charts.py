"""CBT charts: self-contained SVG that says in words what it shows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from painrewire.programs.cbt.charts import distortion_chart, exposure_chart, pacing_chart
from painrewire.programs.cbt.pacing import progress, weekly_targets
from painrewire.programs.cbt.trends import ExposureGap, distortions_by_week

LABELS = {"catastrophising": "Catastrophising", "labelling": "Labelling"}


def test_distortion_chart_stacks_each_weeks_traps_and_describes_the_first_trap() -> None:
    weeks = distortions_by_week(
        [
            (date(2026, 1, 5), ["catastrophising", "labelling", "mind_reading"]),
            (date(2026, 1, 13), ["labelling"]),
        ]
    )
    svg = distortion_chart(weeks, LABELS, shown=["catastrophising", "labelling"])
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    titles = re.findall(r'<rect class="trap"[^>]*><title>([^<]+)</title>', svg)
    assert titles == [
        "Week of 5 Jan 2026: Catastrophising 1",
        "Week of 5 Jan 2026: Labelling 1",
        "Week of 5 Jan 2026: Other traps 1",
        "Week of 12 Jan 2026: Labelling 1",
    ]
    assert "Catastrophising: 1 in the first week, 0 in the latest" in svg


def test_charts_without_data_say_so() -> None:
    assert "No data yet" in distortion_chart([], LABELS, shown=[])
    assert "No data yet" in exposure_chart([])
    assert "No data yet" in pacing_chart([], unit="minutes", title="Walking")


def test_pacing_chart_marks_overdone_weeks_and_escapes_the_unit() -> None:
    weeks = progress(weekly_targets(10, weeks=3), {1: 8, 2: 13}, starts_on=date(2026, 1, 5))
    svg = pacing_chart(weeks, unit="<laps>", title="Swimming")
    assert "&lt;laps&gt;" in svg and "<laps>" not in svg
    assert "Week 2: did 13 &lt;laps&gt; of a planned 9 (more than planned)" in svg
    assert svg.count('class="actual"') == 2


def test_exposure_chart_plots_predicted_and_felt_for_each_exposure() -> None:
    gaps = [
        ExposureGap(datetime(2026, 1, 5, tzinfo=UTC), "bending", 70, 40),
        ExposureGap(datetime(2026, 1, 12, tzinfo=UTC), "bending", 60, 40),
    ]
    svg = exposure_chart(gaps)
    assert svg.count('class="predicted"') == 2 and svg.count('class="felt"') == 2
    assert "the fear felt was 25 points lower than predicted" in svg
