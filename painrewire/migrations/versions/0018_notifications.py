"""notifications: the outbox of outgoing mail, scheduled jobs, and safety alerts that escalate

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _status(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "outbound_emails",
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("category", _status("email_category", "clinical", "account", "reminder"), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("link_path", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column(
            "status", _status("outbox_status", "pending", "sent", "failed", "cancelled"), nullable=False
        ),
        sa.Column("send_after", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_outbound_emails_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbound_emails_dedupe_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbound_emails_message_id")),
    )
    op.create_index("ix_outbound_emails_due", "outbound_emails", ["status", "send_after"])
    op.create_index(op.f("ix_outbound_emails_recipient_id"), "outbound_emails", ["recipient_id"])
    op.create_table(
        "scheduled_jobs",
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("due_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _status("job_status", "pending", "done", "failed", "cancelled"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", painrewire.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", painrewire.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_jobs_key")),
    )
    op.create_index("ix_scheduled_jobs_due", "scheduled_jobs", ["status", "due_at"])
    with op.batch_alter_table("safety_alerts") as batch:
        batch.add_column(sa.Column("action_taken", sa.String(length=48), nullable=True))
        batch.add_column(sa.Column("holds_practice", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("escalated_at", painrewire.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalation", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("safety_alerts") as batch:
        batch.alter_column("holds_practice", server_default=None)
        batch.alter_column("escalation", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("safety_alerts") as batch:
        batch.drop_column("escalation")
        batch.drop_column("escalated_at")
        batch.drop_column("holds_practice")
        batch.drop_column("action_taken")
    op.drop_index("ix_scheduled_jobs_due", table_name="scheduled_jobs")
    op.drop_table("scheduled_jobs")
    op.drop_index(op.f("ix_outbound_emails_recipient_id"), table_name="outbound_emails")
    op.drop_index("ix_outbound_emails_due", table_name="outbound_emails")
    op.drop_table("outbound_emails")
