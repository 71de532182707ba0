"""A server-side SVG of somatic-tracking ratings: pain and fear before and after each practice.

Like `painrewire.charts`, the chart is one self-contained ``<svg>`` string with a ``<title>`` and a
``<desc>`` saying in words what it shows, colours as presentation attributes and every text escaped, so it is
allowed by the page's CSP and readable by screen readers. This module is a pure core.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

BEFORE_COLOUR = "#b3261e"
AFTER_COLOUR = "#1d6b3a"
AXIS_COLOUR = "#555555"
GRID_COLOUR = "#dddddd"
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 30, 34


@dataclass(frozen=True)
class RatedPractice:
    """One practice's ratings on 0-10 scales."""

    day: date
    pain_before: int
    pain_after: int
    fear_before: int
    fear_after: int


def _y(value: float, height: int) -> float:
    return TOP + (10 - value) / 10 * (height - TOP - BOTTOM)


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def before_after_chart(
    practices: Sequence[RatedPractice],
    *,
    width: int = 640,
    height: int = 220,
    title: str = "Somatic tracking",
) -> str:
    """Draw each practice as two short vertical bars, pain then fear, from the rating before to after.

    Parameters
    ----------
    practices : sequence of RatedPractice
        Oldest first; each practice gets an equal slot along the x axis (practices, not calendar days).
    width, height : int
        Size in pixels (at least 240 x 140).
    title : str

    Returns
    -------
    svg : str
        One ``<svg>``; a before dot has class ``before``, an after dot class ``after``, the pain bar class
        ``pain`` and the fear bar class ``fear``. An empty sequence draws "No practice yet".
    """
    if width < 240 or height < 140:
        raise ValueError(f"the chart must be at least 240 x 140 pixels, got {width} x {height}")
    for p in practices:
        for value in (p.pain_before, p.pain_after, p.fear_before, p.fear_after):
            if not 0 <= value <= 10:
                raise ValueError(f"ratings are 0 to 10, got {value!r} on {p.day}")
    esc = html.escape
    if practices:
        pain_drop = sum(p.pain_before - p.pain_after for p in practices) / len(practices)
        fear_drop = sum(p.fear_before - p.fear_after for p in practices) / len(practices)
        desc = (
            f"Pain and fear before and after each of {len(practices)} somatic-tracking practices from "
            f"{practices[0].day.isoformat()} to {practices[-1].day.isoformat()}; on average pain changed by "
            f"{_f(-pain_drop)} and fear by {_f(-fear_drop)} points during a practice."
        )
    else:
        desc = "No somatic-tracking practice with ratings yet."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="st-title st-desc" class="before-after">',
        f'<title id="st-title">{esc(title)}</title><desc id="st-desc">{esc(desc)}</desc>',
        f'<text x="{LEFT}" y="18" fill="#111111" font-size="13">{esc(title)}</text>',
    ]
    for tick in (0, 5, 10):
        y = _f(_y(tick, height))
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{width - RIGHT}" y2="{y}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end" font-size="11" fill="{AXIS_COLOUR}">{tick}</text>'
        )
    if not practices:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{AXIS_COLOUR}">No practice yet</text>'
        )
        parts.append("</svg>")
        return "".join(parts)
    slot = (width - LEFT - RIGHT) / len(practices)
    for i, p in enumerate(practices):
        bars = ((0.35, "pain", p.pain_before, p.pain_after), (0.65, "fear", p.fear_before, p.fear_after))
        for offset, kind, before, after in bars:
            x = _f(LEFT + (i + offset) * slot)
            y0, y1 = _f(_y(before, height)), _f(_y(after, height))
            label = f"{p.day.isoformat()}: {kind} {before} before, {after} after"
            parts.append(
                f'<g class="{kind}"><title>{esc(label)}</title>'
                f'<line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="{AXIS_COLOUR}" stroke-width="2"/>'
                f'<circle class="before" cx="{x}" cy="{y0}" r="3" fill="{BEFORE_COLOUR}"/>'
                f'<circle class="after" cx="{x}" cy="{y1}" r="3" fill="{AFTER_COLOUR}"/></g>'
            )
    legend = width - RIGHT - 250
    parts.append(
        f'<circle cx="{legend}" cy="14" r="3" fill="{BEFORE_COLOUR}"/>'
        f'<text x="{legend + 8}" y="18" font-size="11" fill="#111111">before</text>'
        f'<circle cx="{legend + 60}" cy="14" r="3" fill="{AFTER_COLOUR}"/>'
        f'<text x="{legend + 68}" y="18" font-size="11" fill="#111111">after</text>'
        f'<text x="{legend + 110}" y="18" font-size="11" fill="{AXIS_COLOUR}">left bar pain, right bar fear</text>'
    )
    parts.append(
        f'<text x="{LEFT}" y="{height - 10}" font-size="11" fill="{AXIS_COLOUR}">oldest</text>'
        f'<text x="{width - RIGHT}" y="{height - 10}" text-anchor="end" font-size="11" '
        f'fill="{AXIS_COLOUR}">latest</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
