"""search indexes: popularity and rating sorts, location substring search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Found with EXPLAIN at 100k services (tests/integration/test_query_plans.py): sorting by
popularity scanned the whole services table, and the location filter every user.
"""

from collections.abc import Sequence

from alembic import op

import fixia.db  # noqa: F401

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_services_view_count_id", "services", ["view_count", "id"]),
    ("ix_professional_profiles_rating", "professional_profiles", ["rating", "review_count"]),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns)
        return
    # CONCURRENTLY: building an index must not block writes on a live table.
    with op.get_context().autocommit_block():
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, postgresql_concurrently=True, if_not_exists=True)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_location_trgm "
            "ON users USING gin (lower(location) gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_users_location_trgm")
            for name, table, _ in INDEXES:
                op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
        return
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
