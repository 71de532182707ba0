"""preferences: how each person wants to be reminded, and their quiet hours

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _channel() -> sa.Enum:
    return sa.Enum("email", "in_app", "off", name="reminder_channel", native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_reminders", _channel(), nullable=False),
        sa.Column("diary_reminders", _channel(), nullable=False),
        sa.Column("questionnaire_reminders", _channel(), nullable=False),
        sa.Column("diary_time", sa.Time(), nullable=True),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("updated_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
