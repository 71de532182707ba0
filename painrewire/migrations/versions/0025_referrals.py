"""referrals: clinician profiles for the public directory, outside services, referrals in from physicians (with
their letter), and letters out to physicians and services

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import painrewire.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str, length: int = 32) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


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


SERVICE_KINDS = (
    "physiotherapy",
    "psychiatry",
    "psychology",
    "sleep",
    "pain_management_programme",
    "rheumatology",
    "spinal_surgery",
    "other",
)


def upgrade() -> None:
    op.create_table(
        "clinician_profiles",
        sa.Column("clinician_id", sa.Uuid(), nullable=False),
        sa.Column("qualifications", sa.String(length=300), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("modalities", sa.JSON(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        _at("updated_at"),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_clinician_profiles_clinician_id_users"),
            ondelete="CASCADE",
        ),
        _user_fk("clinician_profiles", "updated_by_id"),
        sa.PrimaryKeyConstraint("clinician_id", name=op.f("pk_clinician_profiles")),
    )
    op.create_table(
        "external_services",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", _enum("external_service_kind", *SERVICE_KINDS), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _user_fk("external_services", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_services")),
    )
    op.create_table(
        "referrals",
        sa.Column(
            "status", _enum("referral_status", "new", "accepted", "declined", length=16), nullable=False
        ),
        sa.Column("urgency", _enum("referral_urgency", "routine", "soon", length=16), nullable=False),
        sa.Column("referrer_name", sa.String(length=200), nullable=False),
        sa.Column("referrer_organisation", sa.String(length=200), nullable=False),
        sa.Column("referrer_email", sa.String(length=254), nullable=False),
        sa.Column("referrer_phone", sa.String(length=40), nullable=False),
        sa.Column("patient_name", sa.String(length=200), nullable=False),
        sa.Column("patient_date_of_birth", sa.Date(), nullable=False),
        sa.Column("patient_email", sa.String(length=254), nullable=False),
        sa.Column("patient_phone", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("excluded_other", sa.String(length=300), nullable=False),
        sa.Column("letter_filename", sa.String(length=200), nullable=True),
        sa.Column("letter_size", sa.Integer(), nullable=True),
        sa.Column("letter_pages", sa.Integer(), nullable=True),
        sa.Column("letter_sha256", sa.String(length=64), nullable=True),
        sa.Column("letter", sa.LargeBinary(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        _at("decided_at", nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("referrals"),
        _user_fk("referrals", "decided_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_status_created", "referrals", ["status", "created_at"])
    op.create_index(op.f("ix_referrals_patient_id"), "referrals", ["patient_id"])
    op.create_table(
        "letters",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            _enum("letter_kind", "initial_assessment", "progress", "discharge", "onward_referral"),
            nullable=False,
        ),
        sa.Column(
            "recipient_kind", _enum("letter_recipient_kind", "physician", "external_service"), nullable=False
        ),
        sa.Column("external_service_id", sa.Uuid(), nullable=True),
        sa.Column(
            "physician_role", _enum("letter_physician_role", "gp", "referring", length=16), nullable=True
        ),
        sa.Column("physician_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_address", sa.Text(), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        _at("sent_at", nullable=True),
        sa.Column("sent_by_id", sa.Uuid(), nullable=True),
        sa.Column("sent_via", _enum("letter_delivery", "email", "post"), nullable=True),
        sa.Column("sent_to", sa.String(length=254), nullable=True),
        sa.Column("link_token_hash", sa.String(length=64), nullable=True),
        _at("link_expires_at", nullable=True),
        _at("downloaded_at", nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _at("created_at"),
        _patient_fk("letters"),
        _user_fk("letters", "author_id"),
        _user_fk("letters", "sent_by_id"),
        sa.ForeignKeyConstraint(
            ["external_service_id"],
            ["external_services.id"],
            name=op.f("fk_letters_external_service_id_external_services"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["physician_id"],
            ["patient_physicians.id"],
            name=op.f("fk_letters_physician_id_patient_physicians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("link_token_hash", name=op.f("uq_letters_link_token_hash")),
    )
    op.create_index("ix_letters_patient_created", "letters", ["patient_id", "created_at"])
    op.create_index(op.f("ix_letters_external_service_id"), "letters", ["external_service_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_letters_external_service_id"), table_name="letters")
    op.drop_index("ix_letters_patient_created", table_name="letters")
    op.drop_table("letters")
    op.drop_index(op.f("ix_referrals_patient_id"), table_name="referrals")
    op.drop_index("ix_referrals_status_created", table_name="referrals")
    op.drop_table("referrals")
    op.drop_table("external_services")
    op.drop_table("clinician_profiles")
