"""Instants in SQL: stored UTC instants as epoch seconds, computed by the database, and a clinician's bookings
packed into one text row (reading thousands of rows as Python objects costs more than the search's arithmetic).

On SQLite the packed row keeps the instants as stored (text) rather than converting each in SQL: converting
thousands of them costs the database more than reading the few rows a first-available search gets to costs
Python (:func:`unpack_ranges` reads both forms).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from painrewire.scheduling.core import slots as core

# --- instants in SQL ------------------------------------------------------------------------------------


class epoch_seconds(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it renders
    """Seconds since the epoch of a stored UTC instant, computed by the database (no datetime parsing)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


class epoch_ranges(FunctionElement[str]):  # noqa: N801 - reads as the SQL aggregate it renders
    """A group's ranges as one text ``"from,until,from,until,..."`` (an aggregate): epoch seconds on
    PostgreSQL, the stored UTC text on SQLite.

    The free-time search reads a clinic's bookings as one row per clinician rather than one per booking:
    thousands of rows each turned into Python objects cost more than the search's arithmetic.
    """

    type = Text()
    inherit_cache = True


def _pair_sql(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    first = compiler.process(epoch_seconds(start), **kw)
    second = compiler.process(epoch_seconds(end), **kw)
    return f"CAST({first} AS TEXT) || ',' || CAST({second} AS TEXT)"


@compiles(epoch_ranges, "sqlite")
def _ranges_sqlite(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"group_concat({start} || ',' || {end}, ',')"


@compiles(epoch_ranges, "postgresql")
def _ranges_postgresql(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({_pair_sql(element, compiler, **kw)}, ',')"


@lru_cache(maxsize=4096)
def _day_epoch(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


@lru_cache(maxsize=65536)
def stored_epoch(text: str) -> int:
    """A stored UTC instant as SQLite keeps it (``2027-10-04 08:15:00.000000``), in whole epoch seconds
    (remembered: a clinic's bookings share their start times)."""
    if (
        len(text) >= 19
        and text[10] in " T"
        and text[13] == ":"
        and text[16] == ":"
        and text[19:20] in ("", ".")
    ):
        return _day_epoch(text[:10]) + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def unpack_ranges(packed: str | None) -> list[core.Span]:
    """The ranges :class:`epoch_ranges` packed, in epoch seconds."""
    if not packed:
        return []
    values = packed.split(",")
    numbers = [int(v) for v in values] if packed[4:5] != "-" else [stored_epoch(v) for v in values]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def between(start_col: Any, end_col: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Rows whose range [start_col, end_col) meets [start, end)."""
    result: ColumnElement[bool] = (start_col < end) & (end_col > start)
    return result
