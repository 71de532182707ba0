"""SVG trend charts of left/right judgement: accuracy and median time per block, left and right apart, over the
norm's band.

Built on the conventions of `painrewire.charts` (one self-contained ``<svg>`` with a ``<title>`` and a
``<desc>`` saying in words what it shows; presentation attributes only, so the strict CSP and WeasyPrint both
accept it; "No data yet" for an empty series). Blocks are spaced evenly in the order they were done (several
blocks can share a day); the x axis names the date of every few blocks.

Pure code: no web, database or template code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from painrewire.charts import (
    _MONTHS,
    AXIS_COLOUR,
    _check_size,
    _check_title,
    _esc,
    _long_date,
    _no_data,
    _num,
    _open,
    _value_axis,
)
from painrewire.programs.gmi.scoring import HistoryPoint

#: Colour-blind-safe pair (Okabe & Ito, 2008): left blue, right vermilion; the norm band is green.
LEFT_COLOUR = "#0072b2"
RIGHT_COLOUR = "#d55e00"
BAND_COLOUR = "#009e73"

Metric = Literal["accuracy", "rt"]


def _ticks_ms(top: float) -> list[float]:
    step = 500.0 if top <= 3000 else 1000.0
    return [k * step for k in range(math.ceil(top / step) + 1)]


def trend_chart(
    points: Sequence[HistoryPoint],
    *,
    metric: Metric,
    band: tuple[float, float],
    band_label: str,
    title: str,
    width: int = 640,
    height: int = 240,
    chart_id: str | None = None,
) -> str:
    """Draw one metric per block for movements to the left and to the right.

    Parameters
    ----------
    points : sequence of HistoryPoint
        Finished blocks, oldest first.
    metric : "accuracy" or "rt"
        Accuracy (plotted 0-100%) or median correct reaction time (ms, from 0 to the slowest value or 3 s).
    band : (float, float)
        The norm's range on the metric's own scale (accuracy as a fraction), shaded behind the lines.
    band_label : str
        What the band means, named beside it and in the description.
    title : str
        Shown above the chart and used as its accessible name.

    Returns
    -------
    svg : str
        One ``<svg>``; left values are circles of class ``left``, right values squares of class ``right``,
        each with a ``<title>`` naming the block, date and value; lines ``left-line`` and ``right-line``.
    """
    frame = _check_size(width, height)
    _check_title(title)
    if metric not in ("accuracy", "rt"):
        raise ValueError(f"metric must be 'accuracy' or 'rt', got {metric!r}")
    if not points:
        return _no_data(frame, title, chart_id)

    def values(side: str) -> list[float | None]:
        if metric == "accuracy":
            raw = [p.left_accuracy if side == "left" else p.right_accuracy for p in points]
            return [None if v is None else v * 100 for v in raw]
        return [p.left_rt_ms if side == "left" else p.right_rt_ms for p in points]

    left, right = values("left"), values("right")
    if metric == "accuracy":
        lo, hi, ticks = 0.0, 100.0, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        band_lo, band_hi = band[0] * 100, min(band[1] * 100, 100.0)
        unit, fmt = "%", (lambda v: f"{v:.0f}%")
    else:
        seen = [v for v in left + right if v is not None]
        top = max([3000.0, band[1], *seen])
        ticks = _ticks_ms(top)
        lo, hi = 0.0, ticks[-1]
        band_lo, band_hi = max(band[0], lo), min(band[1], hi)
        unit, fmt = "ms", (lambda v: f"{v / 1000:.2f} s")
    n = len(points)
    slot = (frame.x1 - frame.x0) / n

    def x(i: int) -> float:
        return frame.x0 + (i + 0.5) * slot

    latest = points[-1]
    last_l, last_r = left[-1], right[-1]
    desc = (
        f"{title}: {n} block(s) from {_long_date(points[0].when.date())} to {_long_date(latest.when.date())}. "
        f"Latest: left {fmt(last_l) if last_l is not None else 'no data'}, "
        f"right {fmt(last_r) if last_r is not None else 'no data'}. Shaded: {band_label}."
    )
    parts = _open(frame, title, desc, chart_id)
    top_y, bottom_y = frame.y(band_hi, lo, hi), frame.y(band_lo, lo, hi)
    parts.append(
        f'<rect class="band" x="{_num(frame.x0)}" y="{_num(top_y)}" width="{_num(frame.x1 - frame.x0)}" '
        f'height="{_num(bottom_y - top_y)}" fill="{BAND_COLOUR}" fill-opacity="0.14">'
        f"<title>{_esc(band_label)}</title></rect>"
    )
    parts += _value_axis(frame, ticks, lo, hi)
    parts.append(
        f'<text class="y-unit" x="{_num(frame.x0 - 6)}" y="{_num(frame.y0 - 8)}" text-anchor="end" '
        f'fill="{AXIS_COLOUR}">{unit}</text>'
    )
    every = max(1, math.ceil(n / 8))
    for i, p in enumerate(points):
        if i % every == 0 or i == n - 1:
            day = p.when.date()
            parts.append(
                f'<text class="x-tick-label" x="{_num(x(i))}" y="{_num(frame.y1 + 16)}" text-anchor="middle" '
                f'fill="{AXIS_COLOUR}">{day.day} {_MONTHS[day.month - 1]}</text>'
            )
    for side, series, colour in (("left", left, LEFT_COLOUR), ("right", right, RIGHT_COLOUR)):
        coords = [(x(i), frame.y(v, lo, hi)) for i, v in enumerate(series) if v is not None]
        if len(coords) > 1:
            pts = " ".join(f"{_num(a)},{_num(b)}" for a, b in coords)
            parts.append(
                f'<polyline class="{side}-line" points="{pts}" fill="none" stroke="{colour}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            )
        for i, v in enumerate(series):
            if v is None:
                continue
            cx, cy = x(i), frame.y(v, lo, hi)
            tip = (
                f"<title>Block {i + 1}, {_esc(_long_date(points[i].when.date()))}, level {points[i].level}: "
                f"movements to the {side} {_esc(fmt(v))}</title>"
            )
            if side == "left":
                parts.append(
                    f'<circle class="left" cx="{_num(cx)}" cy="{_num(cy)}" r="4" fill="{colour}">{tip}</circle>'
                )
            else:
                parts.append(
                    f'<rect class="right" x="{_num(cx - 3.5)}" y="{_num(cy - 3.5)}" width="7" height="7" '
                    f'fill="{colour}">{tip}</rect>'
                )
    lx = frame.x1 - 250
    parts.append(f'<circle cx="{_num(lx)}" cy="16" r="4" fill="{LEFT_COLOUR}"/>')
    parts.append(f'<text x="{_num(lx + 8)}" y="20" fill="#111111">Left</text>')
    parts.append(f'<rect x="{_num(lx + 46)}" y="12.5" width="7" height="7" fill="{RIGHT_COLOUR}"/>')
    parts.append(f'<text x="{_num(lx + 58)}" y="20" fill="#111111">Right</text>')
    parts.append(
        f'<rect x="{_num(lx + 100)}" y="11" width="12" height="10" fill="{BAND_COLOUR}" fill-opacity="0.25"/>'
    )
    parts.append(f'<text x="{_num(lx + 116)}" y="20" fill="#111111">{_esc(band_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
