"""assessments: what intake and questionnaires add

At most one open questionnaire request per patient and instrument, settled by the database (a partial unique
index), so two clinicians assigning at the same moment cannot both succeed.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questionnaire_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_questionnaire_assignments_open",
            ["patient_id", "instrument_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_questionnaire_assignments_open")
