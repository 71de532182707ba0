"""graded motor imagery: what the trainer adds

Each left/right block keeps how its browser timed it (the method, the measured frame interval, the clock),
so a reaction time can always be read with its precision.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gmi_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_timing", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gmi_blocks", schema=None) as batch_op:
        batch_op.drop_column("client_timing")
