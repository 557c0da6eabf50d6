"""service views: one per viewer per day

Revision ID: 0008_view_dedup
Revises: 0007_session_lifetime
Create Date: 2026-12-07

Anyone could inflate a listing's view count, which feeds the popular sort (issue #27). Each
view now records who (`viewer_key`: the user id, or a keyed hash of IP and user agent) and
the UTC day; a unique index lets the insert skip a repeat, and only a new row bumps the
counter. Expand only: the columns are nullable, so the previous release (which leaves them
NULL, and NULLs never collide) runs against this schema unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db  # noqa: F401

revision: str = "0008_view_dedup"
down_revision: str | Sequence[str] | None = "0007_session_lifetime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ux_service_views_viewer_day"
COLUMNS = ["service_id", "viewer_key", "view_day"]


def upgrade() -> None:
    op.add_column("service_views", sa.Column("viewer_key", sa.String(length=64), nullable=True))
    op.add_column("service_views", sa.Column("view_day", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # CONCURRENTLY: every listing page view writes to this table on a live system.
        with op.get_context().autocommit_block():
            op.create_index(
                INDEX,
                "service_views",
                COLUMNS,
                unique=True,
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        return
    op.create_index(INDEX, "service_views", COLUMNS, unique=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(
                INDEX, table_name="service_views", postgresql_concurrently=True, if_exists=True
            )
    else:
        op.drop_index(INDEX, table_name="service_views")
    op.drop_column("service_views", "view_day")
    op.drop_column("service_views", "viewer_key")
