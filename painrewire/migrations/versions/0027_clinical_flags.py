"""clinical flags: a clinician's judgement the plan rules read, with who, when and why

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

STANDING = "cleared_at IS NULL"


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, painrewire.db.UTCDateTime(timezone=True), nullable=nullable)


def _user_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_clinical_flags_{column}_users"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "clinical_flags",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "fear_of_movement",
                "worry_or_low_mood",
                "stress_drives_pain",
                name="clinical_flag_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        _at("recorded_at"),
        _at("cleared_at", nullable=True),
        sa.Column("cleared_by_id", sa.Uuid(), nullable=True),
        sa.Column("clear_note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_clinical_flags_patient_id_patients"),
            ondelete="CASCADE",
        ),
        _user_fk("recorded_by_id"),
        _user_fk("cleared_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinical_flags")),
    )
    op.create_index(op.f("ix_clinical_flags_patient_id"), "clinical_flags", ["patient_id"])
    op.create_index(
        "uq_clinical_flags_standing",
        "clinical_flags",
        ["patient_id", "kind"],
        unique=True,
        sqlite_where=sa.text(STANDING),
        postgresql_where=sa.text(STANDING),
    )


def downgrade() -> None:
    op.drop_index("uq_clinical_flags_standing", table_name="clinical_flags")
    op.drop_index(op.f("ix_clinical_flags_patient_id"), table_name="clinical_flags")
    op.drop_table("clinical_flags")
