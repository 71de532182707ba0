"""clinical notes, reports and data-rights requests

The care team's notes, each tagged with its author's discipline. Reports, FHIR, research CSV and a patient's
download of their own data are computed from the other tables and store nothing of their own (each export
is one audit row).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DISCIPLINES = ("pain_specialist", "physical_therapist", "psychologist", "neurofeedback_practitioner")


def upgrade() -> None:
    op.create_table(
        "clinical_notes",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column(
            "discipline",
            sa.Enum(*DISCIPLINES, name="note_discipline", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_clinical_notes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["clinical_notes.id"],
            name=op.f("fk_clinical_notes_corrects_id_clinical_notes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_clinical_notes_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_notes")),
    )
    with op.batch_alter_table("clinical_notes", schema=None) as batch_op:
        batch_op.create_index("ix_clinical_notes_patient_created", ["patient_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clinical_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_clinical_notes_patient_created")
    op.drop_table("clinical_notes")
