"""clearance: a medically qualified clinician's clearance for practice, versioned and withdrawable; a checklist
filled in before clearance remembers the signs it did not count

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clearances",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Uuid(), nullable=True),
        sa.Column("cleared_by_id", sa.Uuid(), nullable=True),
        sa.Column("cleared_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("causes", sa.JSON(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_clearances_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intakes.id"], name=op.f("fk_clearances_intake_id_intakes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cleared_by_id"],
            ["users.id"],
            name=op.f("fk_clearances_cleared_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_clearances_withdrawn_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearances")),
        sa.UniqueConstraint("patient_id", "version", name=op.f("uq_clearances_patient_id_version")),
    )
    op.create_index(op.f("ix_clearances_patient_id"), "clearances", ["patient_id"])
    with op.batch_alter_table("neuroplastic_checklists") as batch:
        batch.add_column(
            sa.Column("before_clearance", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("held", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("neuroplastic_checklists") as batch:
        batch.alter_column("before_clearance", server_default=None)
        batch.alter_column("held", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("neuroplastic_checklists") as batch:
        batch.drop_column("held")
        batch.drop_column("before_clearance")
    op.drop_index(op.f("ix_clearances_patient_id"), table_name="clearances")
    op.drop_table("clearances")
