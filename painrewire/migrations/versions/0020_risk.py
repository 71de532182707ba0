"""risk: clinician-completed self-harm risk assessments and versioned safety plans

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _level(name: str) -> sa.Enum:
    return sa.Enum("low", "moderate", "high", name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "risk_assessments",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("assessed_by_id", sa.Uuid(), nullable=True),
        sa.Column("assessed_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("thoughts_of_death", sa.Boolean(), nullable=False),
        sa.Column("suicidal_thoughts", sa.Boolean(), nullable=False),
        sa.Column("method", sa.Boolean(), nullable=False),
        sa.Column("intent", sa.Boolean(), nullable=False),
        sa.Column("plan", sa.Boolean(), nullable=False),
        sa.Column("recent_behaviour", sa.Boolean(), nullable=False),
        sa.Column("protective_factors", sa.Text(), nullable=False),
        sa.Column("access_to_means", sa.Text(), nullable=False),
        sa.Column("indicated_level", _level("risk_level_indicated"), nullable=False),
        sa.Column("risk_level", _level("risk_level"), nullable=False),
        sa.Column("judgement_reason", sa.Text(), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_risk_assessments_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["users.id"],
            name=op.f("fk_risk_assessments_assessed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["safety_alerts.id"],
            name=op.f("fk_risk_assessments_alert_id_safety_alerts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
    )
    op.create_index("ix_risk_assessments_patient_assessed", "risk_assessments", ["patient_id", "assessed_at"])
    op.create_table(
        "safety_plans",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("written_by_id", sa.Uuid(), nullable=True),
        sa.Column("written_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("warning_signs", sa.JSON(), nullable=False),
        sa.Column("coping_strategies", sa.JSON(), nullable=False),
        sa.Column("distractions", sa.JSON(), nullable=False),
        sa.Column("people_to_ask", sa.JSON(), nullable=False),
        sa.Column("professionals", sa.JSON(), nullable=False),
        sa.Column("safe_environment", sa.JSON(), nullable=False),
        sa.Column("withdrawn_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_safety_plans_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["users.id"],
            name=op.f("fk_safety_plans_written_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_safety_plans_withdrawn_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plans")),
        sa.UniqueConstraint("patient_id", "version", name=op.f("uq_safety_plans_patient_id_version")),
    )
    op.create_index(op.f("ix_safety_plans_patient_id"), "safety_plans", ["patient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_safety_plans_patient_id"), table_name="safety_plans")
    op.drop_table("safety_plans")
    op.drop_index("ix_risk_assessments_patient_assessed", table_name="risk_assessments")
    op.drop_table("risk_assessments")
