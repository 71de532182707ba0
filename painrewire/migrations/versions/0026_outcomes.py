"""outcomes: the course of treatment (start and end) and the follow-up questionnaires asked after it

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "treatment_courses",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("treatment_started_on", sa.Date(), nullable=False),
        sa.Column(
            "start_source",
            _enum("treatment_start_source", "plan_signed", "first_practice"),
            nullable=False,
        ),
        sa.Column("recorded_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column(
            "end_reason",
            _enum("treatment_end_reason", "completed", "stopped_early", "other"),
            nullable=True,
        ),
        sa.Column("end_note", sa.Text(), nullable=False),
        sa.Column("ended_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["users.id"],
            name=op.f("fk_treatment_courses_ended_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_treatment_courses_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_treatment_courses")),
    )
    op.create_table(
        "follow_up_requests",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column(
            "time_point",
            _enum("follow_up_time_point", "end", "month_3", "month_6", "month_12"),
            nullable=False,
        ),
        sa.Column("instrument_id", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["questionnaire_assignments.id"],
            name=op.f("fk_follow_up_requests_assignment_id_questionnaire_assignments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_follow_up_requests_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_requests")),
        sa.UniqueConstraint(
            "patient_id",
            "time_point",
            "instrument_id",
            name=op.f("uq_follow_up_requests_patient_id_time_point_instrument_id"),
        ),
    )
    op.create_index(
        op.f("ix_follow_up_requests_patient_id"), "follow_up_requests", ["patient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_up_requests_patient_id"), table_name="follow_up_requests")
    op.drop_table("follow_up_requests")
    op.drop_table("treatment_courses")
