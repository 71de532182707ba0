"""Argument checks for the neurofeedback cores, with messages that name the parameter, what is allowed and
what was got (MNE's ``mne/utils/check.py`` vocabulary).

Streaming processors call these once, at construction; nothing here runs per chunk.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from typing import Any


def validate_type(value: Any, types: type | tuple[type, ...], name: str, *, description: str = "") -> None:
    """Raise TypeError unless ``value`` is an instance of ``types`` (bool never counts as a number)."""
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        wanted = description or (
            " or ".join(t.__name__ for t in types) if isinstance(types, tuple) else types.__name__
        )
        raise TypeError(f"{name} must be {wanted}, got {type(value).__name__} ({value!r})")


def check_option(value: Any, allowed: Iterable[Any], name: str) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise ValueError listing them."""
    options = list(allowed)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(
            f"Invalid value for the {name!r} parameter. Allowed values are {listed}, got {value!r}."
        )
    return value


def ensure_int(value: Any, name: str) -> int:
    """Return ``value`` as an int if it is integer-like (not bool, not float); otherwise raise TypeError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool ({value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})") from None


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    unit: str = "",
) -> float:
    """Return ``value`` as a finite float within the given bounds, or raise with the bounds and the value."""
    validate_type(value, (int, float), name, description="a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        suffix = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}{suffix}, got {value!r}")
    return number
