"""gmi norms: norm participants, and blocks that are norm blocks instead of a patient's practice

Clinicians and pain-free volunteers take norm blocks so the clinic has norms for its drawn pictures (the
published ones come from photographs). A block now belongs to a patient or to a norm participant.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gmi_norm_participants",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.Column("pain_free", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_gmi_norm_participants_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_gmi_norm_participants_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gmi_norm_participants")),
        sa.UniqueConstraint("user_id", name=op.f("uq_gmi_norm_participants_user_id")),
    )
    with op.batch_alter_table("gmi_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("norm_participant_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("patient_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_gmi_blocks_norm_participant_id_gmi_norm_participants"),
            "gmi_norm_participants",
            ["norm_participant_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_gmi_blocks_norm_participant_id"), ["norm_participant_id"])
        batch_op.create_check_constraint(
            "patient_or_norm", "(patient_id IS NULL) <> (norm_participant_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM gmi_blocks WHERE patient_id IS NULL")
    with op.batch_alter_table("gmi_blocks", schema=None) as batch_op:
        batch_op.drop_constraint("patient_or_norm", type_="check")
        batch_op.drop_index(batch_op.f("ix_gmi_blocks_norm_participant_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_gmi_blocks_norm_participant_id_gmi_norm_participants"), type_="foreignkey"
        )
        batch_op.alter_column("patient_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("norm_participant_id")
    op.drop_table("gmi_norm_participants")
