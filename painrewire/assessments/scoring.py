"""The one scoring engine for every questionnaire, driven by the definitions in `instruments/`.

A score is computed exactly as the instrument's manual says: sums as integers; means and percentages with
`decimal.Decimal`, rounded half up to one decimal (never binary floating point and never `round()`, whose
half-to-even rule would report a BPI mean of 5.25 as 5.2); each manual's own rule for unanswered items;
bands on the score as reported; flags from single items (PHQ-9 item 9) raised whatever else is missing.

Answers that cannot be answers — the wrong number of them, or a value that is not one of an item's options —
are refused with `InvalidAnswers`, whose message names the item. Unanswered items (``None``) are not an
error: they make the score (or a subscale) invalid, or are prorated, as the manual says, and each message
names them.

Pure: standard library and the instrument definitions only; no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from painrewire.assessments.instruments import (
    Band,
    Instrument,
    Subscale,
    get_instrument,
    list_instruments,
)

ONE_DECIMAL = Decimal("0.1")

Number = int | float


class InvalidAnswers(ValueError):
    """The answers cannot be scored as given; the message says which item and why."""

    def __init__(self, message: str, *, item: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.item = item


class UnknownInstrument(InvalidAnswers):
    """No instrument has this id."""


@dataclass(frozen=True)
class ScoreResult:
    """A scored questionnaire: what a clinician sees and what is stored beside the answers.

    ``total`` is an int for sums, a float with one decimal for means and percentages, and None when the
    instrument has no total or it could not be scored. ``subscales`` holds only the subscales that could be
    scored. ``valid`` is False when the total or any subscale could not be scored; ``messages`` say why.
    """

    instrument: str
    version: str
    total: Number | None
    band: str | None
    subscales: dict[str, Number]
    flags: list[str]
    valid: bool
    messages: list[str]
    missing_items: tuple[int, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The fixed shape printed by ``painrewire score`` (other tools rely on it)."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "subscales": dict(self.subscales),
            "flags": list(self.flags),
            "valid": self.valid,
            "messages": list(self.messages),
        }


def round_half_up(value: Decimal) -> Decimal:
    """Round to one decimal, halves away from zero (5.25 -> 5.3, 37.75 -> 37.8)."""
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _items_text(numbers: Sequence[int]) -> str:
    listed = [str(n) for n in numbers]
    if len(listed) == 1:
        return f"item {listed[0]}"
    return "items " + ", ".join(listed[:-1]) + " and " + listed[-1]


def _as_number(value: Decimal, *, integral: bool) -> Number:
    return int(value) if integral else float(value)


def check_answers(instrument: Instrument, answers: Sequence[object]) -> list[int | None]:
    """The answers as integers or None, or `InvalidAnswers` naming the first item that is not an answer."""
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InvalidAnswers(f"{instrument.short_name}: answers must be a list in item order")
    if len(answers) != instrument.item_count:
        raise InvalidAnswers(
            f"{instrument.short_name} has {instrument.item_count} items; {len(answers)} answers were given "
            f"(give one per item in order, '-' or null for an unanswered item)"
        )
    checked: list[int | None] = []
    for item, answer in zip(instrument.items, answers, strict=True):
        if answer is None:
            checked.append(None)
            continue
        if isinstance(answer, bool) or not isinstance(answer, int) or answer not in item.values:
            allowed = ", ".join(str(v) for v in item.values)
            raise InvalidAnswers(
                f"{instrument.short_name} item {item.number}: {answer!r} is not an answer to this item "
                f"(allowed: {allowed})",
                item=item.number,
            )
        checked.append(answer)
    return checked


def score(instrument_id: str, answers: Sequence[object]) -> ScoreResult:
    """Score answers (in item order, None for unanswered) on the instrument ``instrument_id``.

    Raises `UnknownInstrument` for an id that does not exist and `InvalidAnswers` for answers that cannot be
    answers; unanswered items are handled by the instrument's missing-item rule.
    """
    try:
        instrument = get_instrument(instrument_id)
    except KeyError as exc:
        known = ", ".join(i.id for i in list_instruments())
        raise UnknownInstrument(f"unknown instrument {instrument_id!r} (known: {known})") from exc
    return score_instrument(instrument, answers)


def score_instrument(instrument: Instrument, answers: Sequence[object]) -> ScoreResult:
    """Score answers on a definition (see `score`)."""
    checked = check_answers(instrument, answers)
    points: dict[int, int] = {
        item.number: item.scored(answer)
        for item, answer in zip(instrument.items, checked, strict=True)
        if answer is not None
    }
    missing = tuple(
        item.number for item, answer in zip(instrument.items, checked, strict=True) if answer is None
    )
    messages: list[str] = []
    valid = True

    subscales: dict[str, Number] = {}
    for sub in instrument.subscales:
        value = _subscale(instrument, sub, points, messages)
        if value is None:
            valid = False
        else:
            subscales[sub.id] = value

    total: Number | None = None
    total_exact: Decimal | None = None
    if instrument.total_method != "none":
        total_exact = _total(instrument, points, missing, messages)
        if total_exact is None:
            valid = False
        else:
            total = _as_number(total_exact, integral=instrument.total_method == "sum")

    band = None
    if total_exact is not None and instrument.bands:
        band = _band(instrument, total_exact, subscales)

    flags: list[str] = []
    for rule in instrument.flags:
        if rule.item is not None and rule.above is not None:
            answer = checked[rule.item - 1]
            if answer is None:
                messages.append(
                    f"{instrument.short_name} item {rule.item} was not answered: ask about it directly "
                    f"({rule.id.replace('_', ' ')} cannot be ruled out)"
                )
            elif answer > rule.above:
                flags.append(rule.id)
        elif (
            rule.total_at_least is not None and total_exact is not None and total_exact >= rule.total_at_least
        ):
            flags.append(rule.id)

    return ScoreResult(
        instrument=instrument.id,
        version=instrument.version,
        total=total,
        band=band,
        subscales=subscales,
        flags=flags,
        valid=valid,
        messages=messages,
        missing_items=missing,
    )


def _subscale(
    instrument: Instrument, sub: Subscale, points: dict[int, int], messages: list[str]
) -> Number | None:
    answered = [n for n in sub.items if n in points]
    unanswered = [n for n in sub.items if n not in points]
    if len(answered) < sub.needed:
        need = (
            "every item"
            if sub.needed == len(sub.items)
            else f"at least {sub.needed} of {len(sub.items)} items"
        )
        messages.append(
            f"{instrument.short_name} {sub.label.lower()} not scored: {_items_text(unanswered)} not answered "
            f"(it needs {need})"
        )
        return None
    values = [points[n] for n in answered]
    if sub.method == "sum":
        return sum(values)
    if unanswered:
        messages.append(
            f"{instrument.short_name} {sub.label.lower()} is the mean of the {len(answered)} of {len(sub.items)} "
            f"items answered ({_items_text(unanswered)} not answered), as the manual allows"
        )
    return _as_number(round_half_up(Decimal(sum(values)) / Decimal(len(values))), integral=False)


def _total(
    instrument: Instrument, points: dict[int, int], missing: tuple[int, ...], messages: list[str]
) -> Decimal | None:
    rule = instrument.missing
    allowed = rule.max_missing if rule.rule == "prorate" else 0
    if len(missing) > allowed:
        if allowed:
            needs = f"at most {allowed} may be unanswered"
        else:
            needs = f"the total needs all {instrument.item_count} items; the manual gives no rule for missing items"
        messages.append(
            f"{instrument.short_name} total not scored: {_items_text(missing)} not answered ({needs})"
        )
        return None
    answered = [points[n] for n in sorted(points)]
    if instrument.total_method == "sum":
        return Decimal(sum(answered))
    if instrument.total_method == "mean":
        value = Decimal(sum(answered)) / Decimal(len(answered))
    else:  # percent of the points possible on the items answered
        possible = sum(instrument.item(n).max_points for n in points)
        value = Decimal(sum(answered)) * Decimal(100) / Decimal(possible)
    if missing:
        messages.append(
            f"{instrument.short_name} scored over the {len(answered)} of {instrument.item_count} items answered "
            f"({_items_text(missing)} not answered; the manual allows up to {allowed})"
        )
    return round_half_up(value)


def _band(instrument: Instrument, total: Decimal, subscales: dict[str, Number]) -> str | None:
    for band in instrument.bands:
        if _matches(band, total, subscales):
            return band.label
    return None


def _matches(band: Band, total: Decimal, subscales: dict[str, Number]) -> bool:
    if band.low is not None and total < band.low:
        return False
    if band.high is not None and total > band.high:
        return False
    if band.subscale is not None:
        if band.subscale not in subscales:
            return False
        value = Decimal(str(subscales[band.subscale]))
        if band.subscale_low is not None and value < band.subscale_low:
            return False
        if band.subscale_high is not None and value > band.subscale_high:
            return False
    return True
