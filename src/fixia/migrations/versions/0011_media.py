"""media: uploaded photos, documents and portfolio items

Revision ID: 0011_media
Revises: 0010_search
Create Date: 2026-12-07

Two new tables (docs/media.md). Expand only: nothing existing changes, so the previous
release runs against this schema unchanged. The tables are new and empty, so their indexes
are created in the same transaction (CONCURRENTLY buys nothing on an empty table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db

revision: str = "0011_media"
down_revision: str | Sequence[str] | None = "0010_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portfolio_items",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("project_url", sa.String(length=500), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_portfolio_items_category_id_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_portfolio_items_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_items")),
    )
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portfolio_items_owner_position", ["owner_id", "position"], unique=False
        )

    op.create_table(
        "media_assets",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "avatar",
                "service_photo",
                "project_photo",
                "portfolio",
                "document",
                name="media_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "ready", "failed", name="media_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("portfolio_item_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_media_assets_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_item_id"],
            ["portfolio_items.id"],
            name=op.f("fk_media_assets_portfolio_item_id_portfolio_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_media_assets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_media_assets_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_assets")),
    )
    with op.batch_alter_table("media_assets", schema=None) as batch_op:
        batch_op.create_index("ix_media_assets_owner_kind", ["owner_id", "kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_media_assets_portfolio_item_id"), ["portfolio_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_media_assets_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "ix_media_assets_service_position", ["service_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("media_assets", schema=None) as batch_op:
        batch_op.drop_index("ix_media_assets_service_position")
        batch_op.drop_index(batch_op.f("ix_media_assets_project_id"))
        batch_op.drop_index(batch_op.f("ix_media_assets_portfolio_item_id"))
        batch_op.drop_index("ix_media_assets_owner_kind")

    op.drop_table("media_assets")
    with op.batch_alter_table("portfolio_items", schema=None) as batch_op:
        batch_op.drop_index("ix_portfolio_items_owner_position")

    op.drop_table("portfolio_items")
