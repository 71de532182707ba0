"""CBT and mindfulness: what the programs add

Activity pacing keeps the measured baseline days, the starting percentage of the baseline and an optional goal.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pacing_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("measurements", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("start_percent", sa.Double(), nullable=False, server_default="80"))
        batch_op.add_column(sa.Column("goal", sa.Double(), nullable=True))
    with op.batch_alter_table("pacing_activities", schema=None) as batch_op:
        batch_op.alter_column("measurements", server_default=None)
        batch_op.alter_column("start_percent", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("pacing_activities", schema=None) as batch_op:
        batch_op.drop_column("goal")
        batch_op.drop_column("start_percent")
        batch_op.drop_column("measurements")
