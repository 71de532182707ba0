"""neurofeedback: what the live sessions add

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('planned', 'checking', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("nfb_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("line_freq", sa.Double(), server_default="50", nullable=False))
        batch_op.add_column(sa.Column("check_seconds", sa.Double(), server_default="5", nullable=False))
        batch_op.add_column(
            sa.Column("training_started_at", painrewire.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("end_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("heartbeat_at", painrewire.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("latency_p50_ms", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("latency_p99_ms", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("clock_offset_s", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("hop_feedback", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("recording_seconds", sa.Double(), nullable=True))
        batch_op.create_index(
            "ix_nfb_sessions_practitioner_created", ["practitioner_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_nfb_sessions_patient_active",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("nfb_sessions", schema=None) as batch_op:
        batch_op.drop_index("uq_nfb_sessions_patient_active")
        batch_op.drop_index("ix_nfb_sessions_practitioner_created")
        for column in (
            "recording_seconds",
            "hop_feedback",
            "clock_offset_s",
            "latency_p99_ms",
            "latency_p50_ms",
            "heartbeat_at",
            "end_reason",
            "training_started_at",
            "check_seconds",
            "line_freq",
            "channels",
        ):
            batch_op.drop_column(column)
