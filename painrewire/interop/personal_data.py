"""A patient's download of all their own data, as one JSON document.

The tables are found from the metadata, not listed by hand, so a module added later is included without an
edit here: every table with a ``patient_id`` column (filtered to this patient), and every table whose rows
hang off those rows through a foreign key (diary revisions, GMI trials, pacing logs, ...; filtered through
the parent rows, and, where the child table has a ``user_id``, to the patient's own account). The patient's
account is included without its password hash; columns that hold secrets (``*_hash``) are never exported.

Binary columns (neurofeedback recordings, audio) are listed rather than inlined: their size in bytes and a
note that the clinic provides the file on request, so the document stays readable and small enough to open.

What would break a clinical blind is left out, and the document says so (``withheld``): a column whose ``info``
marks it ``BLINDED`` (whether a neurofeedback session was sham, and the reward sequences that would match a sham
session to the session it replayed) reads as a note that the care team holds it, the same for every row, and
``BLINDED_KEYS`` drops those keys of a JSON column (the session summary's ``sham``). The patient's screens never
say which session was sham; their own copy of their data must not either.
"""

from __future__ import annotations

import base64
import decimal
import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Column, ColumnElement, LargeBinary, Select, Table, func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, User
from painrewire.db import BLINDED, BLINDED_KEYS, utcnow
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.schema import import_all_models

FORMAT = "painrewire-personal-data/1"
MAX_DEPTH = 3
#: Tables that hold another person's data or the machinery of logins, never exported here.
NEVER = frozenset({"users", "patients", "auth_sessions", "rate_limit_buckets"})
#: What a blinded column reads as in the download (the same for every row, so it tells nothing).
WITHHELD = {"withheld": "blinded", "available": "from your care team on request"}
WITHHELD_ABOUT = (
    "Some sessions may be part of a blinded comparison your care team runs (for neurofeedback, a sham session "
    "that replays an earlier session's feedback). What would tell them apart is left out of this copy and listed "
    "under 'withheld'; your care team holds it and can tell you."
)


def _is_secret(column: Column[Any]) -> bool:
    return column.name.endswith("_hash") or column.name in {"token", "password"}


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _json(value.value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)


def _patient_column(table: Table) -> Column[Any] | None:
    if "patient_id" in table.c:
        return table.c.patient_id
    for fk in table.foreign_keys:
        if fk.column.table.name == "patients":
            return fk.parent
    return None


def row_filters(patient: Patient, *, own_rows_only: bool = True) -> dict[str, ColumnElement[bool]]:
    """Each table holding this patient's data and the condition that selects the patient's rows in it.

    With ``own_rows_only`` (the download), a child row that names an account (``user_id``) counts only when
    it is the patient's own; without it (erasure), every row hanging off the patient's rows counts.
    """
    tables = [t for t in import_all_models().sorted_tables if t.name not in NEVER]
    filters: dict[str, ColumnElement[bool]] = {}
    for table in tables:
        column = _patient_column(table)
        if column is not None:
            filters[table.name] = column == patient.id
    for _ in range(MAX_DEPTH):
        added = False
        for table in tables:
            if table.name in filters:
                continue
            for fk in table.foreign_keys:
                parent = fk.column.table
                if parent.name in filters and isinstance(parent, Table):
                    condition: ColumnElement[bool] = fk.parent.in_(
                        select(fk.column).where(filters[parent.name])
                    )
                    if own_rows_only and "user_id" in table.c:
                        condition = condition & (table.c.user_id == patient.user_id)
                    filters[table.name] = condition
                    added = True
                    break
        if not added:
            break
    return filters


def _is_blinded(column: Column[Any]) -> bool:
    return bool(column.info.get(BLINDED))


def withheld(table: Table) -> list[str]:
    """What the download leaves out of ``table`` for a blind: ``column`` or ``column.key``, in column order."""
    names: list[str] = []
    for column in table.columns:
        if _is_blinded(column):
            names.append(column.name)
        names.extend(f"{column.name}.{key}" for key in column.info.get(BLINDED_KEYS, ()))
    return names


def _select(table: Table, condition: ColumnElement[bool]) -> Select[Any]:
    columns: list[ColumnElement[Any]] = []
    for column in table.columns:
        if _is_secret(column) or _is_blinded(column):
            continue
        if isinstance(column.type, LargeBinary):
            columns.append(func.length(column).label(column.name))
        else:
            columns.append(column)
    order = [table.c[name] for name in ("created_at", "day", "at", "completed_at") if name in table.c][:1]
    primary = list(table.primary_key.columns)
    return select(*columns).where(condition).order_by(*order, *primary)


def _rows(session: Session, table: Table, condition: ColumnElement[bool]) -> list[dict[str, Any]]:
    binary = {c.name for c in table.columns if isinstance(c.type, LargeBinary)}
    blinded = {c.name for c in table.columns if _is_blinded(c)}
    blinded_keys = {c.name: set(c.info[BLINDED_KEYS]) for c in table.columns if c.info.get(BLINDED_KEYS)}
    # In column order, the blinded ones (not selected at all) in their place.
    names = [c.name for c in table.columns if not _is_secret(c)]
    rows = []
    for row in session.execute(_select(table, condition)).mappings():
        item: dict[str, Any] = {}
        for name in names:
            if name in blinded:
                item[name] = dict(WITHHELD)
                continue
            value = row[name]
            if name in blinded_keys and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in blinded_keys[name]}
            if name in binary:
                item[name] = (
                    None
                    if value is None
                    else {"binary": True, "bytes": int(value), "available": "from your care team on request"}
                )
            else:
                item[name] = _json(value)
        rows.append(item)
    return rows


def collect(session: Session, patient: Patient, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about the patient, table by table (access already checked and audited)."""
    user = session.get(User, patient.user_id)
    account = (
        {
            "id": str(user.id),
            "email": user.email,
            "full_name": user.full_name,
            "role": user.role.value,
            "created_at": _json(user.created_at),
            "is_active": user.is_active,
        }
        if user is not None
        else None
    )
    metadata = import_all_models()
    tables = {
        name: _rows(session, metadata.tables[name], condition)
        for name, condition in sorted(row_filters(patient).items())
    }
    left_out = {name: names for name in tables if (names := withheld(metadata.tables[name]))}
    return {
        "format": FORMAT,
        "generated_at": _json(now or utcnow()),
        "about": (
            "Everything this clinic's PainRewire holds about you, one list per table. Dates and times are "
            "in UTC (ISO 8601). Binary files (such as neurofeedback recordings) are listed with their size; "
            "ask your care team for the files themselves."
        ),
        "account": account,
        "patient": {
            "id": str(patient.id),
            "date_of_birth": _json(patient.date_of_birth),
            "phone": patient.phone,
            "timezone": patient.timezone,
            "created_at": _json(patient.created_at),
        },
        "counts": {name: len(rows) for name, rows in tables.items()},
        "withheld": {"about": WITHHELD_ABOUT, "fields": left_out},
        "tables": tables,
    }


def own_data(session: Session, actor: User) -> dict[str, Any]:
    """The logged-in patient's own data (audited as an export)."""
    patient = access.own_patient(session, actor, action=AuditAction.EXPORT, resource_type="personal_data")
    return collect(session, patient)
