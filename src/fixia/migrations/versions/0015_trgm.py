"""trgm: typo correction by trigram similarity on PostgreSQL

Revision ID: 0015_trgm
Revises: 0014_system_flags
Create Date: 2026-12-07

Issue #30. "¿Quisiste decir …?" picks from the trade vocabulary's words. PostgreSQL now asks
pg_trgm for the candidates (a GIN trigram index over search_terms), SQLite keeps comparing the
whole vocabulary in memory (catalog/spelling.py). pg_trgm ships with PostgreSQL (contrib) and
is trusted, so the database owner may create it; 0003 already did, this only makes sure.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db  # noqa: F401
from fixia.catalog.vocabulary import load

revision: str = "0015_trgm"
down_revision: str | Sequence[str] | None = "0014_system_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    terms = op.create_table(
        "search_terms",
        sa.Column("word", sa.String(length=60), nullable=False),
        sa.Column("display", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_terms")),
    )
    op.bulk_insert(terms, [{"word": w, "display": d} for w, d in load().terms()])
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_search_terms_word_trgm "
            "ON search_terms USING gin (word gin_trgm_ops)"
        )


def downgrade() -> None:
    # The extension stays: 0003's location index uses it too.
    op.drop_table("search_terms")
