"""consent, therapy preferences, treatment history and the patient's physician

Revision ID: 0024
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0024"
down_revision = "0018"
branch_labels = None
depends_on = None

CURRENT = "withdrawn_at IS NULL"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, painrewire.db.UTCDateTime(timezone=True), nullable=nullable)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["patient_id"], ["patients.id"], name=op.f(f"fk_{table}_patient_id_patients"), ondelete="CASCADE"
    )


METHODS = ("online", "in_clinic", "paper")


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            _enum("consent_kind", "treatment", "neurofeedback", "blinded_neurofeedback", "research"),
            nullable=False,
        ),
        sa.Column("text_version", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _at("given_at"),
        sa.Column("method", _enum("consent_method", *METHODS), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        _at("withdrawn_at", nullable=True),
        sa.Column("withdrawn_by_id", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_method", _enum("consent_withdrawal_method", *METHODS), nullable=True),
        sa.Column("withdrawal_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("consent_records"),
        _user_fk("consent_records", "recorded_by_id"),
        _user_fk("consent_records", "withdrawn_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index("ix_consent_records_patient_kind", "consent_records", ["patient_id", "kind", "given_at"])
    op.create_index(
        "uq_consent_records_current",
        "consent_records",
        ["patient_id", "kind"],
        unique=True,
        sqlite_where=sa.text(CURRENT),
        postgresql_where=sa.text(CURRENT),
    )


def downgrade() -> None:
    op.drop_index("uq_consent_records_current", table_name="consent_records")
    op.drop_index("ix_consent_records_patient_kind", table_name="consent_records")
    op.drop_table("consent_records")
