"""stored search vector on services (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

The benchmark at 100k services found text searches combined with a sort taking seconds:
PostgreSQL walked the sort index and recomputed to_tsvector for every row it read. A stored
generated column is computed once per write; the GIN index moves onto it.
"""

from collections.abc import Sequence

from alembic import op

import fixia.db  # noqa: F401

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = (
    "to_tsvector('spanish', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(tags_text, ''))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps its FTS5 table
    op.execute(
        f"ALTER TABLE services ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) "
        "STORED"
    )
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_services_search_vector "
            "ON services USING gin (search_vector)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_services_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_services_fts ON services USING gin "
            f"({DOCUMENT.replace('coalesce(', 'coalesce(services.')})"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_services_search_vector")
    op.execute("ALTER TABLE services DROP COLUMN search_vector")
