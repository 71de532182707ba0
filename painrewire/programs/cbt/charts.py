"""SVG charts for CBT: thinking traps per week, a pacing plan against what was done, fear predicted vs felt.

Built on the geometry and conventions of `painrewire.charts` (one self-contained ``<svg>`` with a
``<title>`` and a ``<desc>`` saying in words what it shows; presentation attributes only, so the strict CSP
and WeasyPrint both accept it; "No data yet" for an empty series).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from painrewire.charts import (
    _MONTHS,
    AXIS_COLOUR,
    _check_size,
    _check_title,
    _date_ticks,
    _DateAxis,
    _esc,
    _Frame,
    _line,
    _long_date,
    _no_data,
    _num,
    _open,
    _value,
    _value_axis,
)
from painrewire.programs.cbt.pacing import WeekProgress
from painrewire.programs.cbt.trends import ExposureGap, WeekCounts

#: Colour-blind-safe palette (Okabe & Ito, 2008) for the thinking traps shown; the rest are "other".
TRAP_COLOURS = ("#d55e00", "#0072b2", "#009e73", "#cc79a7")
OTHER_COLOUR = "#999999"
PLAN_COLOUR = "#1d2733"
ACTUAL_COLOUR = "#2e7d32"
OVER_COLOUR = "#e69f00"
PREDICTED_COLOUR = "#b3261e"
FELT_COLOUR = "#1f6feb"


def _count_ticks(top: int) -> list[float]:
    step = max(1, math.ceil(top / 4))
    return [float(k * step) for k in range(top // step + 1)]


def _nice_ticks(highest: float) -> list[float]:
    """Ticks from 0 in steps of 1, 2, 2.5 or 5 times a power of ten, at most five steps, the last >= highest."""
    if highest <= 0:
        return [0.0, 1.0]
    raw = highest / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [k * step for k in range(math.ceil(highest / step - 1e-9) + 1)]


def _legend(entries: Sequence[tuple[str, str]], frame: _Frame) -> list[str]:
    """A row of colour keys under the plot, below the axis labels."""
    parts = []
    x, y = frame.x0, frame.height - 14
    for label, colour in entries:
        parts.append(
            f'<rect class="legend" x="{_num(x)}" y="{_num(y)}" width="10" height="10" fill="{colour}"/>'
        )
        parts.append(
            f'<text class="legend" x="{_num(x + 14)}" y="{_num(y + 9)}" fill="#111111">{_esc(label)}</text>'
        )
        x += 26 + 6.2 * len(label)
    return parts


def distortion_chart(
    weeks: Sequence[WeekCounts],
    labels: dict[str, str],
    *,
    shown: Sequence[str],
    title: str = "Thinking traps noticed per week",
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
) -> str:
    """Draw the thinking traps tagged each week as stacked bars.

    Parameters
    ----------
    weeks : sequence of WeekCounts
        From `painrewire.programs.cbt.trends.distortions_by_week`, oldest first.
    labels : dict of str to str
        Trap id -> label, for the legend and the tooltips.
    shown : sequence of str
        Up to four trap ids drawn in their own colour, bottom first; every other tag is stacked on top as
        "Other traps".

    Returns
    -------
    svg : str
        One ``<svg>``; each segment is a ``rect`` of class ``trap`` with a ``<title>`` such as
        "Week of 5 Jan 2026: Catastrophising 3". The value axis counts tags, from 0.
    """
    frame = _check_size(width, height)
    _check_title(title)
    if len(shown) > len(TRAP_COLOURS):
        raise ValueError(
            f"at most {len(TRAP_COLOURS)} thinking traps can have their own colour, got {len(shown)}"
        )
    if not weeks:
        return _no_data(frame, title, chart_id)
    stacks = []
    for week in weeks:
        segments = [(labels.get(t, t), week.count(t), TRAP_COLOURS[i]) for i, t in enumerate(shown)]
        other = sum(c for t, c in week.counts.items() if t not in shown)
        segments.append(("Other traps", other, OTHER_COLOUR))
        stacks.append(segments)
    top = max(2, max(sum(c for _, c, _ in s) for s in stacks))
    ticks = _count_ticks(top)
    top = int(ticks[-1]) if ticks[-1] >= top else top
    first, last = weeks[0], weeks[-1]
    focus = shown[0] if shown else None
    desc = (
        f"{title}: thinking-trap tags in each of {len(weeks)} week(s) from {_long_date(first.week)}; "
        f"{sum(w.records for w in weeks)} thought records in all."
    )
    if focus is not None:
        desc += (
            f" {labels.get(focus, focus)}: {first.count(focus)} in the first week, "
            f"{last.count(focus)} in the latest."
        )
    parts = _open(frame, title, desc, chart_id)
    parts += _value_axis(frame, ticks, 0, top)
    slot = (frame.x1 - frame.x0) / len(weeks)
    label_every = math.ceil(len(weeks) / 12)
    for i, (week, segments) in enumerate(zip(weeks, stacks, strict=True)):
        x = frame.x0 + i * slot + 0.15 * slot
        base = 0
        for label, count, colour in segments:
            if count == 0:
                continue
            y_top, y_bottom = frame.y(base + count, 0, top), frame.y(base, 0, top)
            parts.append(
                f'<rect class="trap" x="{_num(x)}" y="{_num(y_top)}" width="{_num(0.7 * slot)}" '
                f'height="{_num(y_bottom - y_top)}" fill="{colour}"><title>Week of '
                f"{_esc(_long_date(week.week))}: {_esc(label)} {count}</title></rect>"
            )
            base += count
        if i % label_every == 0:
            parts.append(
                f'<text class="x-tick-label" x="{_num(x + 0.35 * slot)}" y="{_num(frame.y1 + 16)}" '
                f'text-anchor="middle" fill="{AXIS_COLOUR}">{week.week.day} {_MONTHS[week.week.month - 1]}</text>'
            )
    legend = [(labels.get(t, t), TRAP_COLOURS[i]) for i, t in enumerate(shown)] + [("Other", OTHER_COLOUR)]
    parts += _legend(legend, frame)
    parts.append("</svg>")
    return "\n".join(parts)


def pacing_chart(
    weeks: Sequence[WeekProgress],
    *,
    unit: str,
    title: str,
    width: int = 640,
    height: int = 240,
    chart_id: str | None = None,
) -> str:
    """Draw a pacing plan: the planned amount per week as a stepped line, what was done as bars.

    Bars of weeks done "more than planned" are amber, so overdoing (the boom before a bust) stands out.
    Bars have class ``actual``, the plan line ``plan``; the scale runs from 0 in round steps to just above
    the larger of the highest target and the highest actual.
    """
    frame = _check_size(width, height)
    _check_title(title)
    if not weeks:
        return _no_data(frame, title, chart_id)
    highest = max([w.target for w in weeks] + [w.actual for w in weeks if w.actual is not None])
    ticks = _nice_ticks(highest * 1.1)
    top = ticks[-1]
    logged = [w for w in weeks if w.actual is not None]
    desc = (
        f"{title}: planned {unit} per week for {len(weeks)} week(s), from {_value(round(weeks[0].target, 1))} "
        f"in week 1 to {_value(round(weeks[-1].target, 1))} in week {weeks[-1].week}; {len(logged)} week(s) logged"
    )
    if logged:
        desc += f", the latest (week {logged[-1].week}) {_value(round(logged[-1].actual or 0, 1))}, {logged[-1].status}"
    parts = _open(frame, title, desc + ".", chart_id)
    parts += _value_axis(frame, ticks, 0, top)
    slot = (frame.x1 - frame.x0) / len(weeks)
    label_every = math.ceil(len(weeks) / 12)
    steps = []
    for i, week in enumerate(weeks):
        x = frame.x0 + i * slot
        y = frame.y(week.target, 0, top)
        steps.append(f"{_num(x)},{_num(y)} {_num(x + slot)},{_num(y)}")
        if week.actual is not None:
            bar_top = frame.y(week.actual, 0, top)
            colour = OVER_COLOUR if week.status == "more than planned" else ACTUAL_COLOUR
            parts.append(
                f'<rect class="actual" x="{_num(x + 0.2 * slot)}" y="{_num(bar_top)}" width="{_num(0.6 * slot)}" '
                f'height="{_num(frame.y1 - bar_top)}" fill="{colour}"><title>Week {week.week}: did '
                f"{_value(round(week.actual, 1))} {_esc(unit)} of a planned {_value(round(week.target, 1))} "
                f"({_esc(week.status)})</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text class="x-tick-label" x="{_num(x + slot / 2)}" y="{_num(frame.y1 + 16)}" '
                f'text-anchor="middle" fill="{AXIS_COLOUR}">{"Week " if slot >= 44 else ""}{week.week}</text>'
            )
    parts.append(
        f'<polyline class="plan" points="{" ".join(steps)}" fill="none" stroke="{PLAN_COLOUR}" '
        'stroke-width="2" stroke-dasharray="6 3"/>'
    )
    parts.append(
        f'<text class="y-unit" x="{_num(frame.x0 - 6)}" y="{_num(frame.y0 - 8)}" text-anchor="end" '
        f'fill="{AXIS_COLOUR}">{_esc(unit)}</text>'
    )
    parts += _legend(
        [("Planned", PLAN_COLOUR), ("Done", ACTUAL_COLOUR), ("More than planned", OVER_COLOUR)], frame
    )
    parts.append("</svg>")
    return "\n".join(parts)


def exposure_chart(
    gaps: Sequence[ExposureGap],
    *,
    title: str = "Fear predicted before and felt after each exposure",
    width: int = 640,
    height: int = 240,
    chart_id: str | None = None,
) -> str:
    """Draw predicted fear (red) and felt fear (blue), 0-100, for each exposure over time.

    The space between the lines is the learning signal: the movement was less frightening than predicted.
    Points have classes ``predicted`` and ``felt``.
    """
    frame = _check_size(width, height)
    _check_title(title)
    ordered = sorted(gaps, key=lambda g: g.done_at)
    if not ordered:
        return _no_data(frame, title, chart_id)
    days = [g.done_at.date() for g in ordered]
    axis = _DateAxis(min(days), max(days), frame)
    mean = sum(g.gap for g in ordered) / len(ordered)
    desc = (
        f"{title}: {len(ordered)} exposure(s) from {_long_date(axis.first)} to {_long_date(axis.last)} on a "
        f"0 to 100 scale; on average the fear felt was {_value(round(abs(mean), 1))} points "
        f"{'lower' if mean >= 0 else 'higher'} than predicted."
    )
    parts = _open(frame, title, desc, chart_id)
    parts += _value_axis(frame, [0, 25, 50, 75, 100], 0, 100)
    parts += _date_ticks(axis)
    parts += _line(
        axis,
        [(d, float(g.predicted)) for d, g in zip(days, ordered, strict=True)],
        0,
        100,
        "predicted-line",
        PREDICTED_COLOUR,
    )
    parts += _line(
        axis,
        [(d, float(g.actual)) for d, g in zip(days, ordered, strict=True)],
        0,
        100,
        "felt-line",
        FELT_COLOUR,
    )
    for day, g in zip(days, ordered, strict=True):
        x = _num(axis.x(day))
        for css, value, colour, word in (
            ("predicted", g.predicted, PREDICTED_COLOUR, "predicted"),
            ("felt", g.actual, FELT_COLOUR, "felt"),
        ):
            parts.append(
                f'<circle class="{css}" cx="{x}" cy="{_num(frame.y(value, 0, 100))}" r="3.5" fill="{colour}">'
                f"<title>{_esc(_long_date(day))}, {_esc(g.movement)}: fear {word} {value}</title></circle>"
            )
    parts += _legend([("Fear predicted", PREDICTED_COLOUR), ("Fear felt", FELT_COLOUR)], frame)
    parts.append("</svg>")
    return "\n".join(parts)
