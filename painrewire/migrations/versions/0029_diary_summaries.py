"""diary summaries: each patient's recent diary, kept with every entry, for the clinician home

The home reads one row per patient instead of the diary (`painrewire.diary.models.DiarySummary`). This
revision creates the table and fills it from the diaries already written, with the rule as it stands at
this revision (copied here, so a later change to the application cannot change what this migration did):
the average pain of the 14 days ending on the last entry's day, newest first, and the mean of the 7 days
ending on that day and on each of the 3 days after it, where at least 4 of the 7 days have an entry.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

RECENT_DAYS = 14
WEEK_DAYS = 7
MIN_WINDOW_ENTRIES = 4
BATCH = 5000


def _summary(entries: list[tuple[date, int]]) -> dict[str, Any]:
    by_day = dict(entries)
    last = max(by_day)
    pain = [by_day.get(last - timedelta(days=i)) for i in range(RECENT_DAYS)]
    row: dict[str, Any] = {"last_day": last, "recent_pain": pain}
    for k in range(WEEK_DAYS - MIN_WINDOW_ENTRIES + 1):
        today = last + timedelta(days=k)
        window = [
            v
            for back, v in enumerate(pain)
            if v is not None and (today - (last - timedelta(days=back))).days < WEEK_DAYS
        ]
        row[f"mean_day_{k}"] = sum(window) / len(window) if len(window) >= MIN_WINDOW_ENTRIES else None
    return row


def _backfill() -> None:
    entries = sa.table(
        "diary_entries",
        sa.column("patient_id", sa.Uuid()),
        sa.column("day", sa.Date()),
        sa.column("average_pain", sa.Integer()),
    )
    summaries = sa.table(
        "diary_summaries",
        sa.column("patient_id", sa.Uuid()),
        sa.column("last_day", sa.Date()),
        sa.column("recent_pain", sa.JSON()),
        sa.column("mean_day_0", sa.Double()),
        sa.column("mean_day_1", sa.Double()),
        sa.column("mean_day_2", sa.Double()),
        sa.column("mean_day_3", sa.Double()),
        sa.column("updated_at", painrewire.db.UTCDateTime(timezone=True)),
    )
    latest = sa.select(
        entries.c.patient_id,
        entries.c.day,
        entries.c.average_pain,
        sa.func.row_number()
        .over(partition_by=entries.c.patient_id, order_by=entries.c.day.desc())
        .label("back"),
    ).subquery()
    days: dict[Any, list[tuple[date, int]]] = defaultdict(list)
    connection = op.get_bind()
    for patient_id, day, pain in connection.execute(
        sa.select(latest.c.patient_id, latest.c.day, latest.c.average_pain).where(
            latest.c.back <= RECENT_DAYS
        )
    ):
        days[patient_id].append((day, pain))
    now = datetime.now(UTC)
    rows = [{"patient_id": pid, "updated_at": now, **_summary(found)} for pid, found in days.items()]
    for start in range(0, len(rows), BATCH):
        connection.execute(summaries.insert(), rows[start : start + BATCH])


def upgrade() -> None:
    op.create_table(
        "diary_summaries",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("recent_pain", sa.JSON(), nullable=False),
        sa.Column("mean_day_0", sa.Double(), nullable=True),
        sa.Column("mean_day_1", sa.Double(), nullable=True),
        sa.Column("mean_day_2", sa.Double(), nullable=True),
        sa.Column("mean_day_3", sa.Double(), nullable=True),
        sa.Column("updated_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_diary_summaries_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_diary_summaries")),
    )
    _backfill()


def downgrade() -> None:
    op.drop_table("diary_summaries")
