"""consent, therapy preferences, treatment history and the patient's physician

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0024"
down_revision = "0023"
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
CATEGORIES = ("medicine", "physiotherapy", "injection", "surgery", "psychological", "other")
MEDICINE_CLASSES = (
    "simple_analgesic",
    "nsaid",
    "opioid",
    "gabapentinoid",
    "antidepressant",
    "muscle_relaxant",
    "other_medicine",
)


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

    op.create_table(
        "therapy_preferences",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("other_goal", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("therapy_preferences"),
        _user_fk("therapy_preferences", "changed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_therapy_preferences")),
    )
    op.create_index(
        "ix_therapy_preferences_patient_created", "therapy_preferences", ["patient_id", "created_at"]
    )
    op.create_table(
        "treatment_entries",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("category", _enum("treatment_category", *CATEGORIES), nullable=False),
        sa.Column("medicine_class", _enum("treatment_medicine_class", *MEDICINE_CLASSES), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dose", sa.String(length=200), nullable=False),
        sa.Column("duration_weeks", sa.Integer(), nullable=True),
        sa.Column("effect", _enum("treatment_effect", "none", "some", "good"), nullable=True),
        sa.Column("side_effects", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("started_year", sa.Integer(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_year", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _at("updated_at"),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        _at("removed_at", nullable=True),
        sa.Column("removed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("treatment_entries"),
        _user_fk("treatment_entries", "created_by_id"),
        _user_fk("treatment_entries", "updated_by_id"),
        _user_fk("treatment_entries", "removed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_entries")),
    )
    op.create_index("ix_treatment_entries_patient", "treatment_entries", ["patient_id", "removed_at"])
    op.create_table(
        "treatment_entry_revisions",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "change", _enum("treatment_revision_kind", "created", "updated", "removed"), nullable=False
        ),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["treatment_entries.id"],
            name=op.f("fk_treatment_entry_revisions_entry_id_treatment_entries"),
            ondelete="CASCADE",
        ),
        _patient_fk("treatment_entry_revisions"),
        _user_fk("treatment_entry_revisions", "changed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_entry_revisions")),
        sa.UniqueConstraint(
            "entry_id", "version", name=op.f("uq_treatment_entry_revisions_entry_id_version")
        ),
    )
    op.create_index(op.f("ix_treatment_entry_revisions_entry_id"), "treatment_entry_revisions", ["entry_id"])
    op.create_index(
        op.f("ix_treatment_entry_revisions_patient_id"), "treatment_entry_revisions", ["patient_id"]
    )
    op.create_table(
        "patient_physicians",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("gp", "referring", name="physician_role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("practice", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("share_letters", sa.Boolean(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("patient_physicians"),
        _user_fk("patient_physicians", "changed_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_physicians")),
    )
    op.create_index(
        "ix_patient_physicians_patient_role", "patient_physicians", ["patient_id", "role", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_patient_physicians_patient_role", table_name="patient_physicians")
    op.drop_table("patient_physicians")
    op.drop_index(op.f("ix_treatment_entry_revisions_patient_id"), table_name="treatment_entry_revisions")
    op.drop_index(op.f("ix_treatment_entry_revisions_entry_id"), table_name="treatment_entry_revisions")
    op.drop_table("treatment_entry_revisions")
    op.drop_index("ix_treatment_entries_patient", table_name="treatment_entries")
    op.drop_table("treatment_entries")
    op.drop_index("ix_therapy_preferences_patient_created", table_name="therapy_preferences")
    op.drop_table("therapy_preferences")
    op.drop_index("uq_consent_records_current", table_name="consent_records")
    op.drop_index("ix_consent_records_patient_kind", table_name="consent_records")
    op.drop_table("consent_records")
