"""Turn validation errors into sentences that start with the label the person sees on the form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

Labeller = Callable[[tuple[int | str, ...]], str]


def _what(err: Any) -> str:
    kind, ctx, given = err.get("type"), err.get("ctx") or {}, err.get("input")
    shown = f" (you entered {given})" if isinstance(given, str | int | float) and given != "" else ""
    blank = given is None or given == ""
    if kind in ("missing", "string_too_short") or (
        blank and kind in ("int_parsing", "float_parsing", "int_type", "float_type")
    ):
        return "please fill this in"
    if kind == "too_short":
        return "please fill in at least one"
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} are allowed"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less{shown}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}{shown}"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more{shown}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}{shown}"
    if kind in ("int_parsing", "int_from_float"):
        return f"must be a whole number{shown}"
    if kind in ("float_parsing", "finite_number"):
        return f"must be a number{shown}"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return f"must be a date{shown}"
    return str(err.get("msg", "is not valid")).removeprefix("Value error, ")


def labelled_errors(exc: ValidationError, label: Labeller) -> list[str]:
    """One sentence per error: "Intensity 1 (0-100): must be 100 or less (you entered 150)"."""
    return [f"{label(tuple(err.get('loc', ())))}: {_what(err)}" for err in exc.errors()]


def by_name(labels: dict[str, str]) -> Labeller:
    """A labeller for flat forms: the first part of the error's location names the field."""

    def label(loc: tuple[int | str, ...]) -> str:
        first = str(loc[0]) if loc else ""
        return labels.get(first, first.replace("_", " ").capitalize() or "Form")

    return label
