"""plans and pain reprocessing therapy: what the programs add

A signed plan version carries the signing clinician's note, and at most one version per patient is signed.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_note", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.alter_column("sign_note", server_default=None)
        batch_op.create_index(
            "uq_plan_versions_one_signed",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text("status = 'signed'"),
            postgresql_where=sa.text("status = 'signed'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index("uq_plan_versions_one_signed")
        batch_op.drop_column("sign_note")
