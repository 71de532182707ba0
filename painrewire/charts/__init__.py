"""Server-side SVG charts: pain over time, questionnaire scores with their bands, practice minutes per week.

Each function returns one self-contained ``<svg>`` string that can be put straight into an HTML page and that
WeasyPrint renders into a PDF report: no scripts, no stylesheets, no links or external references, colours as
presentation attributes, every text escaped. Each chart carries a ``<title>`` and a ``<desc>`` (named by
``aria-labelledby``) that say in words what the chart shows, for screen readers. An empty series gives a chart
that says "No data yet" instead of an error.

Geometry, shared by all charts: the plot area runs from x = 48 to x = width - 16 and from y = 36 to
y = height - 40 (the score chart ends its plot area 110 px earlier, at width - 126, to name its bands beside
it). Dates map linearly from the earliest to the latest date shown (a single date sits in the
middle); values map linearly from the bottom of the scale (y = height - 40) to its top (y = 36).
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class DiaryPoint(Protocol):
    """A diary day's average pain on the 0-10 scale (`painrewire.diary.outcomes.DiaryPoint` is one)."""

    @property
    def day(self) -> date: ...

    @property
    def average_pain(self) -> float: ...


class RollingPoint(Protocol):
    """A 7-day mean ending on ``day``, None when too few days (`painrewire.diary.outcomes.RollingPoint`)."""

    @property
    def day(self) -> date: ...

    @property
    def mean(self) -> float | None: ...


MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 36, 40

#: The score chart keeps this many pixels right of its plot area for the band labels.
BAND_LABEL_WIDTH = 110

PAIN_DOT_COLOUR = "#1f6feb"
PAIN_LINE_COLOUR = "#b3261e"
BAR_COLOUR = "#2e7d32"
AXIS_COLOUR = "#555555"
GRID_COLOUR = "#dddddd"
NO_DATA_TEXT = "No data yet"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TICK_STEPS_DAYS = (1, 2, 7, 14, 28, 56, 91, 182, 364, 728)
_MAX_DATE_TICKS = 7
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-z]{3,20})$")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    right: int = MARGIN_RIGHT

    @property
    def x0(self) -> float:
        return MARGIN_LEFT

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        return MARGIN_TOP

    @property
    def y1(self) -> float:
        return self.height - MARGIN_BOTTOM

    def y(self, value: float, lo: float, hi: float) -> float:
        return self.y1 - (value - lo) / (hi - lo) * (self.y1 - self.y0)


@dataclass(frozen=True)
class _DateAxis:
    first: date
    last: date
    frame: _Frame

    def x(self, day: date) -> float:
        span = (self.last - self.first).days
        if span == 0:
            return (self.frame.x0 + self.frame.x1) / 2
        return self.frame.x0 + (day - self.first).days / span * (self.frame.x1 - self.frame.x0)

    def ticks(self) -> list[date]:
        span = (self.last - self.first).days
        step = next((s for s in _TICK_STEPS_DAYS if span // s + 1 <= _MAX_DATE_TICKS), _TICK_STEPS_DAYS[-1])
        return [date.fromordinal(self.first.toordinal() + k * step) for k in range(span // step + 1)]

    def label(self, day: date) -> str:
        short = f"{day.day} {_MONTHS[day.month - 1]}"
        return f"{short} {day.year}" if self.first.year != self.last.year else short


def _check_size(width: int, height: int) -> _Frame:
    for name, value, least in (("width", width, 200), ("height", height, 120)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"chart {name} must be a whole number of pixels, {least} or more, got {value!r}")
    return _Frame(width, height)


def _check_title(title: str) -> None:
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"a chart needs a title to describe it, got {title!r}")


def _open(frame: _Frame, title: str, desc: str, chart_id: str | None) -> list[str]:
    ident = chart_id or "chart-" + hashlib.sha256(f"{title}\n{desc}".encode()).hexdigest()[:10]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", ident):
        raise ValueError(f"chart_id must be letters, digits, - and _ starting with a letter, got {ident!r}")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" font-size="11">',
        f'<title id="{ident}-title">{_esc(title)}</title>',
        f'<desc id="{ident}-desc">{_esc(desc)}</desc>',
        f'<rect class="background" x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
        f'<text class="chart-title" x="{MARGIN_LEFT}" y="20" font-size="13" font-weight="bold" fill="#111111">'
        f"{_esc(title)}</text>",
    ]


def _no_data(frame: _Frame, title: str, chart_id: str | None) -> str:
    parts = _open(frame, title, f"{title}: {NO_DATA_TEXT}.", chart_id)
    parts.append(
        f'<rect class="plot-area" x="{_num(frame.x0)}" y="{_num(frame.y0)}" width="{_num(frame.x1 - frame.x0)}" '
        f'height="{_num(frame.y1 - frame.y0)}" fill="#f7f7f7" stroke="{GRID_COLOUR}"/>'
    )
    parts.append(
        f'<text class="no-data" x="{_num((frame.x0 + frame.x1) / 2)}" y="{_num((frame.y0 + frame.y1) / 2)}" '
        f'text-anchor="middle" font-size="14" fill="{AXIS_COLOUR}">{NO_DATA_TEXT}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _value_axis(frame: _Frame, ticks: Sequence[float], lo: float, hi: float) -> list[str]:
    parts = []
    for tick in ticks:
        y = _num(frame.y(tick, lo, hi))
        parts.append(
            f'<line class="grid" x1="{_num(frame.x0)}" y1="{y}" x2="{_num(frame.x1)}" y2="{y}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="y-tick" x="{_num(frame.x0 - 6)}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'fill="{AXIS_COLOUR}">{_value(tick)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{_num(frame.x0)}" y1="{_num(frame.y0)}" x2="{_num(frame.x0)}" '
        f'y2="{_num(frame.y1)}" stroke="{AXIS_COLOUR}"/>'
    )
    parts.append(
        f'<line class="axis" x1="{_num(frame.x0)}" y1="{_num(frame.y1)}" x2="{_num(frame.x1)}" '
        f'y2="{_num(frame.y1)}" stroke="{AXIS_COLOUR}"/>'
    )
    return parts


def _date_ticks(axis: _DateAxis) -> list[str]:
    parts = []
    y = axis.frame.y1
    for day in axis.ticks():
        x = _num(axis.x(day))
        parts.append(
            f'<line class="x-tick" x1="{x}" y1="{_num(y)}" x2="{x}" y2="{_num(y + 4)}" stroke="{AXIS_COLOUR}"/>'
        )
        parts.append(
            f'<text class="x-tick-label" x="{x}" y="{_num(y + 16)}" text-anchor="middle" '
            f'fill="{AXIS_COLOUR}">{_esc(axis.label(day))}</text>'
        )
    return parts


def _line(
    axis: _DateAxis, series: Sequence[tuple[date, float | None]], lo: float, hi: float, css: str, colour: str
) -> list[str]:
    """Polylines through the points, broken where a value is None; a lone point becomes a small dot."""
    segments: list[list[tuple[date, float]]] = [[]]
    for day, value in series:
        if value is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append((day, value))
    parts = []
    for segment in segments:
        if len(segment) == 1:
            day, value = segment[0]
            parts.append(
                f'<circle class="{css}-point" cx="{_num(axis.x(day))}" cy="{_num(axis.frame.y(value, lo, hi))}" '
                f'r="2" fill="{colour}"/>'
            )
        elif segment:
            coords = " ".join(f"{_num(axis.x(d))},{_num(axis.frame.y(v, lo, hi))}" for d, v in segment)
            parts.append(
                f'<polyline class="{css}" points="{coords}" fill="none" stroke="{colour}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            )
    return parts


def pain_chart(
    points: Sequence[DiaryPoint],
    rolling: Sequence[RollingPoint],
    *,
    width: int = 640,
    height: int = 240,
    title: str = "Pain over time",
    chart_id: str | None = None,
) -> str:
    """Draw daily average pain as dots and its 7-day rolling mean as a line, on a 0-10 scale.

    Parameters
    ----------
    points : sequence of DiaryPoint
        Daily average pain, any order.
    rolling : sequence of RollingPoint
        The rolling mean (`painrewire.diary.outcomes.rolling_mean`); the line breaks where ``mean`` is None.
    width, height : int
        Size in pixels (at least 200 x 120).
    title : str
        Shown above the chart and used as its accessible name.
    chart_id : str | None
        Prefix of the ids of ``<title>`` and ``<desc>``; give one when two identical charts share a page.

    Returns
    -------
    svg : str
        One ``<svg>`` element. Dots have class ``pain-day``, the rolling line ``pain-rolling``.
    """
    frame = _check_size(width, height)
    _check_title(title)
    days = sorted(points, key=lambda p: p.day)
    line = sorted(rolling, key=lambda r: r.day)
    shown = [r for r in line if r.mean is not None]
    if not days and not shown:
        return _no_data(frame, title, chart_id)
    all_days = [p.day for p in days] + [r.day for r in shown]
    axis = _DateAxis(min(all_days), max(all_days), frame)
    sentences = [
        f"Daily average pain on a 0 to 10 scale from {_long_date(axis.first)} to {_long_date(axis.last)}"
    ]
    if days:
        sentences.append(
            f"{len(days)} diary days, the latest {_value(days[-1].average_pain)} on {_long_date(days[-1].day)}"
        )
    if shown:
        sentences.append(f"7-day mean {shown[-1].mean:.1f} on {_long_date(shown[-1].day)}")
    parts = _open(frame, title, ". ".join(sentences) + ".", chart_id)
    parts += _value_axis(frame, [0, 2, 4, 6, 8, 10], 0, 10)
    parts += _date_ticks(axis)
    parts += _line(
        axis,
        [(r.day, r.mean) for r in line if axis.first <= r.day <= axis.last],
        0,
        10,
        "pain-rolling",
        PAIN_LINE_COLOUR,
    )
    for p in days:
        parts.append(
            f'<circle class="pain-day" cx="{_num(axis.x(p.day))}" cy="{_num(frame.y(p.average_pain, 0, 10))}" '
            f'r="3" fill="{PAIN_DOT_COLOUR}"><title>{_esc(_long_date(p.day))}: pain '
            f"{_value(p.average_pain)} of 10</title></circle>"
        )
    legend_x = frame.x1 - 180
    parts.append(f'<circle class="legend" cx="{_num(legend_x)}" cy="16" r="3" fill="{PAIN_DOT_COLOUR}"/>')
    parts.append(f'<text class="legend" x="{_num(legend_x + 8)}" y="20" fill="#111111">Daily pain</text>')
    parts.append(
        f'<line class="legend" x1="{_num(legend_x + 80)}" y1="16" x2="{_num(legend_x + 100)}" y2="16" '
        f'stroke="{PAIN_LINE_COLOUR}" stroke-width="2"/>'
    )
    parts.append(f'<text class="legend" x="{_num(legend_x + 106)}" y="20" fill="#111111">7-day mean</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _check_bands(bands: Sequence[tuple[float, float, str, str]], lo: float, hi: float) -> None:
    for band in bands:
        if len(band) != 4:
            raise ValueError(f"a band is (lo, hi, label, colour), got {band!r}")
        b_lo, b_hi, label, colour = band
        if not lo <= b_lo < b_hi <= hi:
            raise ValueError(
                f"band {label!r} must satisfy {_value(lo)} <= lo < hi <= {_value(hi)}, got ({b_lo}, {b_hi})"
            )
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise ValueError(f"band {label!r} colour must be #rgb, #rrggbb or a colour name, got {colour!r}")


def _band_of(value: float, bands: Sequence[tuple[float, float, str, str]], top: float) -> str | None:
    for b_lo, b_hi, label, _ in bands:
        if b_lo <= value < b_hi or (value == b_hi == top):
            return label
    return None


def score_chart(
    series: Sequence[tuple[date, float]],
    *,
    bands: Sequence[tuple[float, float, str, str]],
    max_value: float,
    title: str,
    min_value: float = 0,
    width: int = 640,
    height: int = 240,
    chart_id: str | None = None,
) -> str:
    """Draw a questionnaire's scores over time over its severity bands.

    Parameters
    ----------
    series : sequence of (datetime.date, float)
        Date and total score, any order.
    bands : sequence of (lo, hi, label, colour)
        Severity bands on the score scale, each shaded from ``lo`` to ``hi`` (a score belongs to the band
        with ``lo <= score < hi``, the top band also holding ``max_value``); colour as ``#rgb``, ``#rrggbb``
        or a plain colour name.
    max_value, min_value : float
        The ends of the score scale.
    title : str
        Shown above the chart and used as its accessible name.
    width, height : int
        Size in pixels.
    chart_id : str | None
        Prefix of the ids of ``<title>`` and ``<desc>``.

    Returns
    -------
    svg : str
        One ``<svg>`` element; band rectangles have class ``band`` with their labels beside the plot area,
        score dots ``score``, the line ``score-line``. The value axis is ticked at the band edges (or in
        fifths without bands).
    """
    _check_size(width, height)
    frame = _Frame(width, height, right=MARGIN_RIGHT + BAND_LABEL_WIDTH)
    _check_title(title)
    if not (math.isfinite(min_value) and math.isfinite(max_value) and min_value < max_value):
        raise ValueError(f"score scale must have min_value < max_value, got {min_value} and {max_value}")
    _check_bands(bands, min_value, max_value)
    ordered = sorted(series, key=lambda s: s[0])
    for day, value in ordered:
        if not min_value <= value <= max_value:
            raise ValueError(
                f"score {value} on {day} is outside the scale {_value(min_value)}-{_value(max_value)}"
            )
    if not ordered:
        return _no_data(frame, title, chart_id)
    axis = _DateAxis(ordered[0][0], ordered[-1][0], frame)
    latest_day, latest = ordered[-1]
    band = _band_of(latest, bands, max_value)
    desc = (
        f"{title}: {len(ordered)} score(s) from {_long_date(axis.first)} to {_long_date(axis.last)} on a scale of "
        f"{_value(min_value)} to {_value(max_value)}; the latest is {_value(latest)} on {_long_date(latest_day)}"
        + (f" ({band})." if band else ".")
    )
    parts = _open(frame, title, desc, chart_id)
    for b_lo, b_hi, label, colour in bands:
        top, bottom = frame.y(b_hi, min_value, max_value), frame.y(b_lo, min_value, max_value)
        parts.append(
            f'<rect class="band" x="{_num(frame.x0)}" y="{_num(top)}" width="{_num(frame.x1 - frame.x0)}" '
            f'height="{_num(bottom - top)}" fill="{_esc(colour)}" fill-opacity="0.25">'
            f"<title>{_esc(label)}: {_value(b_lo)} to {_value(b_hi)}</title></rect>"
        )
        parts.append(
            f'<text class="band-label" x="{_num(frame.x1 + 6)}" y="{_num((top + bottom) / 2)}" '
            f'dominant-baseline="middle" font-size="10" fill="{AXIS_COLOUR}">{_esc(label)}</text>'
        )
    if bands:
        ticks = sorted({min_value, max_value} | {b[0] for b in bands} | {b[1] for b in bands})
    else:
        ticks = [min_value + k * (max_value - min_value) / 5 for k in range(6)]
    parts += _value_axis(frame, ticks, min_value, max_value)
    parts += _date_ticks(axis)
    parts += _line(axis, list(ordered), min_value, max_value, "score-line", PAIN_DOT_COLOUR)
    for day, value in ordered:
        parts.append(
            f'<circle class="score" cx="{_num(axis.x(day))}" cy="{_num(frame.y(value, min_value, max_value))}" '
            f'r="3.5" fill="{PAIN_DOT_COLOUR}"><title>{_esc(_long_date(day))}: {_value(value)}</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def weekly_bars(
    weeks: Sequence[tuple[date, float]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    chart_id: str | None = None,
) -> str:
    """Draw practice minutes per week as bars.

    Parameters
    ----------
    weeks : sequence of (datetime.date, float)
        Each week's first day and its minutes (`painrewire.diary.outcomes.weekly_minutes`), in order.
    title : str
        Shown above the chart and used as its accessible name.
    width, height : int
        Size in pixels.
    chart_id : str | None
        Prefix of the ids of ``<title>`` and ``<desc>``.

    Returns
    -------
    svg : str
        One ``<svg>`` element; bars have class ``bar``. The scale runs from 0 to the highest week rounded up
        to a multiple of 30 minutes (at least 30), with ticks at thirds. Week ``i`` of ``n`` occupies a slot
        of width ``(plot width) / n``; its bar is 70% of the slot, centred in it.
    """
    frame = _check_size(width, height)
    _check_title(title)
    for day, minutes in weeks:
        if not (math.isfinite(minutes) and minutes >= 0):
            raise ValueError(f"minutes for the week of {day} must be 0 or more, got {minutes!r}")
    if not weeks:
        return _no_data(frame, title, chart_id)
    top = max(30.0, math.ceil(max(m for _, m in weeks) / 30) * 30)
    total = sum(m for _, m in weeks)
    desc = (
        f"{title}: practice minutes in each of {len(weeks)} week(s) from {_long_date(weeks[0][0])}; "
        f"{_value(total)} minutes in all, {_value(weeks[-1][1])} in the latest week."
    )
    parts = _open(frame, title, desc, chart_id)
    parts += _value_axis(frame, [0, top / 3, 2 * top / 3, top], 0, top)
    slot = (frame.x1 - frame.x0) / len(weeks)
    label_every = math.ceil(len(weeks) / 12)
    for i, (day, minutes) in enumerate(weeks):
        bar_height = minutes / top * (frame.y1 - frame.y0)
        x = frame.x0 + i * slot + 0.15 * slot
        parts.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(frame.y1 - bar_height)}" width="{_num(0.7 * slot)}" '
            f'height="{_num(bar_height)}" fill="{BAR_COLOUR}"><title>Week of {_esc(_long_date(day))}: '
            f"{_value(minutes)} min</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text class="x-tick-label" x="{_num(x + 0.35 * slot)}" y="{_num(frame.y1 + 16)}" '
                f'text-anchor="middle" fill="{AXIS_COLOUR}">{day.day} {_MONTHS[day.month - 1]}</text>'
            )
    parts.append(
        f'<text class="y-unit" x="{_num(frame.x0 - 6)}" y="{_num(frame.y0 - 8)}" text-anchor="end" '
        f'fill="{AXIS_COLOUR}">min</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
