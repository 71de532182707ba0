"""SVG charts: points land where the scales say, bands cover their ranges, text is escaped, empty is not an error.

Default size 640 x 240: the plot area is x 48..624 (576 px wide) and y 36..200 (164 px high); the score chart
keeps 110 px for band labels, so its plot area is x 48..514 (466 px wide).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from painrewire.charts import pain_chart, score_chart, weekly_bars
from painrewire.diary.outcomes import DiaryPoint, RollingPoint

SVG = "{http://www.w3.org/2000/svg}"
PHQ9_BANDS = [
    (0, 5, "minimal", "#2e7d32"),
    (5, 10, "mild", "#9e9d24"),
    (10, 15, "moderate", "#f9a825"),
    (15, 20, "moderately severe", "#ef6c00"),
    (20, 27, "severe", "#c62828"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == css]


def centre(circle: ET.Element) -> tuple[float, float]:
    return float(circle.get("cx", "nan")), float(circle.get("cy", "nan"))


def polyline_points(line: ET.Element) -> list[tuple[float, float]]:
    pairs = (p.split(",") for p in line.get("points", "").split())
    return [(float(x), float(y)) for x, y in pairs]


def test_pain_dots_land_on_the_date_and_the_zero_to_ten_scale() -> None:
    points = [
        DiaryPoint(date(2025, 3, 3), 4),
        DiaryPoint(date(2025, 3, 5), 10),
        DiaryPoint(date(2025, 3, 7), 0),
    ]
    root = parse(pain_chart(points, []))
    # 4 days span 576 px: 3 Mar at 48, 5 Mar at 48 + 2/4 * 576 = 336, 7 Mar at 624;
    # pain 4 at 200 - 0.4 * 164 = 134.4, pain 10 at 36, pain 0 at 200
    assert [centre(c) for c in by_class(root, "pain-day")] == [(48, 134.4), (336, 36), (624, 200)]
    assert by_class(root, "pain-day")[0].findtext(f"{SVG}title") == "3 Mar 2025: pain 4 of 10"


def test_rolling_mean_line_breaks_at_gaps_and_a_lone_value_is_a_dot() -> None:
    points = [DiaryPoint(date(2025, 3, 3), 2), DiaryPoint(date(2025, 3, 7), 3)]
    rolling = [
        RollingPoint(date(2025, 3, 3), 2.0),
        RollingPoint(date(2025, 3, 4), None),
        RollingPoint(date(2025, 3, 5), 3.0),
        RollingPoint(date(2025, 3, 6), 3.5),
        RollingPoint(date(2025, 3, 7), None),
    ]
    root = parse(pain_chart(points, rolling))
    # 2.0 at 200 - 0.2 * 164 = 167.2; 3.0 at 150.8; 3.5 at 142.6; 6 Mar at 48 + 3/4 * 576 = 480
    (lone,) = by_class(root, "pain-rolling-point")
    assert centre(lone) == (48, 167.2)
    (line,) = by_class(root, "pain-rolling")
    assert polyline_points(line) == [(336, 150.8), (480, 142.6)]


def test_pain_chart_has_a_zero_to_ten_axis_and_a_tick_for_each_day_of_a_short_series() -> None:
    points = [DiaryPoint(date(2025, 3, 3), 4), DiaryPoint(date(2025, 3, 7), 5)]
    root = parse(pain_chart(points, []))
    assert [t.text for t in by_class(root, "y-tick")] == ["0", "2", "4", "6", "8", "10"]
    labels = by_class(root, "x-tick-label")
    assert [t.text for t in labels] == ["3 Mar", "4 Mar", "5 Mar", "6 Mar", "7 Mar"]
    assert [float(t.get("x", "nan")) for t in labels] == [48, 192, 336, 480, 624]


def test_a_long_series_gets_at_most_seven_date_ticks_and_years_when_it_spans_two() -> None:
    points = [DiaryPoint(date(2024, 12, 1), 4), DiaryPoint(date(2025, 2, 28), 5)]
    labels = [t.text for t in by_class(parse(pain_chart(points, [])), "x-tick-label")]
    # 89 days: steps of 14 days give 7 ticks
    assert labels == [
        "1 Dec 2024",
        "15 Dec 2024",
        "29 Dec 2024",
        "12 Jan 2025",
        "26 Jan 2025",
        "9 Feb 2025",
        "23 Feb 2025",
    ]


def test_a_single_diary_day_sits_in_the_middle() -> None:
    root = parse(pain_chart([DiaryPoint(date(2025, 3, 3), 5)], []))
    assert [centre(c) for c in by_class(root, "pain-day")] == [(336, 118)]


def test_chart_describes_itself_for_screen_readers() -> None:
    points = [DiaryPoint(date(2025, 3, 3), 6), DiaryPoint(date(2025, 3, 9), 3)]
    root = parse(pain_chart(points, [RollingPoint(date(2025, 3, 9), 4.3)], title="Pain, Ann Example"))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root[0].tag == f"{SVG}title" and root[0].get("id") == title_id
    assert root[0].text == "Pain, Ann Example"
    assert root[1].tag == f"{SVG}desc" and root[1].get("id") == desc_id
    assert root[1].text == (
        "Daily average pain on a 0 to 10 scale from 3 Mar 2025 to 9 Mar 2025. 2 diary days, the latest 3 on "
        "9 Mar 2025. 7-day mean 4.3 on 9 Mar 2025."
    )


def test_text_is_escaped_and_charts_hold_no_scripts_or_external_references() -> None:
    title = 'Pain <script>alert("x")</script> & <a href="http://evil">more</a>'
    charts = [
        pain_chart([DiaryPoint(date(2025, 3, 3), 4)], [], title=title),
        score_chart(
            [(date(2025, 3, 3), 4)], bands=[(0, 5, "<b>low</b> & ok", "#eee")], max_value=10, title=title
        ),
        weekly_bars([(date(2025, 3, 3), 20)], title=title),
        pain_chart([], [], title=title),
    ]
    for svg in charts:
        root = parse(svg)
        assert root.findtext(f"{SVG}title") == title
        assert not [
            e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}a", f"{SVG}style", f"{SVG}image")
        ]
        assert not [name for e in root.iter() for name in e.attrib if "href" in name]
        for forbidden in ("<script", "<a ", "url(", "<style", "<foreignObject"):
            assert forbidden not in svg
    band_labels = by_class(parse(charts[1]), "band-label")
    assert [t.text for t in band_labels] == ["<b>low</b> & ok"]


def test_score_bands_cover_their_ranges_of_the_scale() -> None:
    root = parse(score_chart([(date(2025, 3, 1), 14)], bands=PHQ9_BANDS, max_value=27, title="PHQ-9"))
    rects = by_class(root, "band")
    spans = [(float(r.get("y", "nan")), float(r.get("height", "nan"))) for r in rects]
    # band lo..hi spans y from 200 - hi/27 * 164 down to 200 - lo/27 * 164
    expected = [(200 - hi / 27 * 164, (hi - lo) / 27 * 164) for lo, hi, _, _ in PHQ9_BANDS]
    assert spans == [pytest.approx(e, abs=0.006) for e in expected]
    assert spans[-1] == (36, pytest.approx(42.52, abs=0.006))  # severe: 20..27 is 7/27 of 164 px
    assert sum(h for _, h in spans) == pytest.approx(164, abs=0.02)
    assert [r.get("fill") for r in rects] == [b[3] for b in PHQ9_BANDS]
    assert {(r.get("x"), r.get("width")) for r in rects} == {("48", "466")}
    labels = by_class(root, "band-label")
    assert [(t.text, t.get("x")) for t in labels] == [(b[2], "520") for b in PHQ9_BANDS]  # 514 + 6
    assert rects[2].findtext(f"{SVG}title") == "moderate: 10 to 15"


def test_scores_land_on_date_and_score_scale_and_the_latest_band_is_named() -> None:
    series = [(date(2025, 3, 29), 4), (date(2025, 3, 1), 14), (date(2025, 3, 15), 9)]
    root = parse(score_chart(series, bands=PHQ9_BANDS, max_value=27, title="PHQ-9"))
    # 28 days over 466 px: 1 Mar at 48, 15 Mar at 48 + 233 = 281, 29 Mar at 514; 14 at 200 - 14/27 * 164 = 114.96
    dots = [centre(c) for c in by_class(root, "score")]
    assert dots == [(48, 114.96), (281, 145.33), (514, 175.7)]
    assert [t.text for t in by_class(root, "y-tick")] == ["0", "5", "10", "15", "20", "27"]
    assert polyline_points(by_class(root, "score-line")[0]) == dots
    assert root.findtext(f"{SVG}desc") == (
        "PHQ-9: 3 score(s) from 1 Mar 2025 to 29 Mar 2025 on a scale of 0 to 27; the latest is 4 on 29 Mar 2025 "
        "(minimal)."
    )


def test_score_chart_refuses_bad_bands_and_scores_off_the_scale() -> None:
    with pytest.raises(ValueError, match="band 'x' colour must be #rgb, #rrggbb or a colour name"):
        score_chart([], bands=[(0, 5, "x", "url(#evil)")], max_value=10, title="t")
    with pytest.raises(ValueError, match="band 'x' must satisfy 0 <= lo < hi <= 10, got \\(5, 12\\)"):
        score_chart([], bands=[(5, 12, "x", "#fff")], max_value=10, title="t")
    with pytest.raises(ValueError, match="score 30 on 2025-03-01 is outside the scale 0-27"):
        score_chart([(date(2025, 3, 1), 30)], bands=PHQ9_BANDS, max_value=27, title="t")
    with pytest.raises(ValueError, match="chart width must be a whole number of pixels, 200 or more, got 10"):
        pain_chart([], [], width=10)


def test_weekly_bars_scale_to_the_next_half_hour_and_sit_in_their_slots() -> None:
    weeks = [(date(2025, 1, 6), 35), (date(2025, 1, 13), 0), (date(2025, 1, 20), 10)]
    root = parse(weekly_bars(weeks, title="Practice"))
    # 35 min rounds the scale up to 60; slots are 576 / 3 = 192 px, bars 134.4 px starting 28.8 px in;
    # 35 min is 35/60 * 164 = 95.67 px high, 10 min 27.33 px
    bars = [
        tuple(float(b.get(k, "nan")) for k in ("x", "y", "width", "height")) for b in by_class(root, "bar")
    ]
    assert bars == [(76.8, 104.33, 134.4, 95.67), (268.8, 200, 134.4, 0), (460.8, 172.67, 134.4, 27.33)]
    assert [t.text for t in by_class(root, "y-tick")] == ["0", "20", "40", "60"]
    assert by_class(root, "bar")[0].findtext(f"{SVG}title") == "Week of 6 Jan 2025: 35 min"
    assert root.findtext(f"{SVG}desc") == (
        "Practice: practice minutes in each of 3 week(s) from 6 Jan 2025; 45 minutes in all, 10 in the latest week."
    )


@pytest.mark.parametrize(
    "svg",
    [
        pain_chart([], []),
        pain_chart([], [RollingPoint(date(2025, 3, 3), None)]),
        score_chart([], bands=PHQ9_BANDS, max_value=27, title="PHQ-9"),
        weekly_bars([], title="Practice"),
    ],
)
def test_an_empty_series_draws_a_no_data_yet_chart(svg: str) -> None:
    root = parse(svg)
    assert [t.text for t in by_class(root, "no-data")] == ["No data yet"]
    assert root.findtext(f"{SVG}desc", "").endswith("No data yet.")
    assert not by_class(root, "pain-day") and not by_class(root, "bar") and not by_class(root, "score")
