"""trust: verification requests, scores, phone codes, helpful votes

Revision ID: 0009_trust
Revises: 0008_view_dedup
Create Date: 2026-12-07

Issue #22. Expand only: four new tables, nothing the previous release reads changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db

revision: str = "0009_trust"
down_revision: str | Sequence[str] | None = "0008_view_dedup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_phone_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "trust_scores",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("computed_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trust_scores_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_trust_scores")),
    )
    op.create_table(
        "verification_requests",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "identity",
                "skills",
                "business",
                "background_check",
                "phone",
                "email",
                "address",
                name="verification_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "expired",
                "cancelled",
                name="verification_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("additional_info", sa.Text(), nullable=True),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("cuit", sa.String(length=11), nullable=True),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("decided_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_verification_requests_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_verification_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_requests")),
    )
    with op.batch_alter_table("verification_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_requests_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_verification_requests_queue", ["status", "type", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_verification_requests_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "review_helpful_votes",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_helpful_votes_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_helpful_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "user_id", name=op.f("pk_review_helpful_votes")),
    )


def downgrade() -> None:
    op.drop_table("review_helpful_votes")
    with op.batch_alter_table("verification_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_requests_user_id"))
        batch_op.drop_index("ix_verification_requests_queue")
        batch_op.drop_index(batch_op.f("ix_verification_requests_expires_at"))

    op.drop_table("verification_requests")
    op.drop_table("trust_scores")
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_codes_user_id"))

    op.drop_table("phone_codes")
