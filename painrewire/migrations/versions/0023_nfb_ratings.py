"""neurofeedback: pain and side effects around each session, the eyes condition, n-of-1 series

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _enum(name: str, length: int, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade() -> None:
    op.create_table(
        "nfb_series",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("practitioner_id", sa.Uuid(), nullable=True),
        sa.Column("protocol", sa.String(length=32), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("eyes", _enum("nfb_series_eyes", 8, "open", "closed"), nullable=False),
        sa.Column("planned_seconds", sa.Integer(), nullable=False),
        sa.Column("baseline_seconds", sa.Integer(), nullable=False),
        sa.Column("target_reward_rate", sa.Double(), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("status", _enum("nfb_series_status", 16, "running", "complete", "stopped"), nullable=False),
        sa.Column("completed_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("unblinded_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unblinded_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_nfb_series_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["users.id"],
            name=op.f("fk_nfb_series_practitioner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unblinded_by_id"],
            ["users.id"],
            name=op.f("fk_nfb_series_unblinded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nfb_series")),
    )
    op.create_index(op.f("ix_nfb_series_patient_id"), "nfb_series", ["patient_id"])
    op.create_index(
        "uq_nfb_series_patient_running",
        "nfb_series",
        ["patient_id"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    with op.batch_alter_table("nfb_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("eyes", _enum("nfb_eyes", 8, "open", "closed"), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("series_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("series_slot", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("blinded", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_nfb_sessions_series_id_nfb_series"),
            "nfb_series",
            ["series_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_nfb_sessions_series_id"), ["series_id"], unique=False)
    op.create_table(
        "nfb_ratings",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("pain_before", sa.Integer(), nullable=True),
        sa.Column("before_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("before_by_id", sa.Uuid(), nullable=True),
        sa.Column("pain_after", sa.Integer(), nullable=True),
        sa.Column("after_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("after_by_id", sa.Uuid(), nullable=True),
        sa.Column("side_effects", sa.JSON(), nullable=False),
        sa.Column("other_text", sa.Text(), server_default="", nullable=False),
        sa.Column("other_severity", _enum("nfb_severity", 16, "mild", "moderate", "severe"), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["nfb_sessions.id"],
            name=op.f("fk_nfb_ratings_session_id_nfb_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_nfb_ratings_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["before_by_id"],
            ["users.id"],
            name=op.f("fk_nfb_ratings_before_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["after_by_id"], ["users.id"], name=op.f("fk_nfb_ratings_after_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nfb_ratings")),
        sa.UniqueConstraint("session_id", name=op.f("uq_nfb_ratings_session_id")),
    )
    op.create_index(op.f("ix_nfb_ratings_patient_id"), "nfb_ratings", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_nfb_ratings_patient_id"), table_name="nfb_ratings")
    op.drop_table("nfb_ratings")
    with op.batch_alter_table("nfb_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nfb_sessions_series_id"))
        batch_op.drop_constraint(batch_op.f("fk_nfb_sessions_series_id_nfb_series"), type_="foreignkey")
        batch_op.drop_column("blinded")
        batch_op.drop_column("series_slot")
        batch_op.drop_column("series_id")
        batch_op.drop_column("eyes")
    op.drop_index("uq_nfb_series_patient_running", table_name="nfb_series")
    op.drop_index(op.f("ix_nfb_series_patient_id"), table_name="nfb_series")
    op.drop_table("nfb_series")
