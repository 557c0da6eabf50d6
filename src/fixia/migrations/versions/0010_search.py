"""search: one Spanish analysis for both engines, and professionals' service areas

Revision ID: 0010_search
Revises: 0009_trust
Create Date: 2026-12-07

Issue #30. PostgreSQL stemmed Spanish and SQLite did not, so the two engines found different
services. Listings are now analysed in Python (fixia.catalog.analysis: folding, stopwords,
Snowball) into services.search_document, and both engines index only that: FTS5 directly, and
PostgreSQL through a stored to_tsvector('simple', ...) that adds no analysis of its own.
The backfill runs the same Python code; a change to the analysis needs another such backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db  # noqa: F401
from fixia.catalog.analysis import index_document
from fixia.catalog.localities import slug_of

revision: str = "0010_search"
down_revision: str | Sequence[str] | None = "0009_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
OLD_PG_DOCUMENT = (
    "to_tsvector('spanish', coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || "
    "coalesce(tags_text, ''))"
)
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE services_fts USING fts5(service_id UNINDEXED, document, "
    "tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER services_fts_ai AFTER INSERT ON services BEGIN "
    "INSERT INTO services_fts(rowid, service_id, document) "
    "VALUES (new.rowid, new.id, new.search_document); END",
    "CREATE TRIGGER services_fts_ad AFTER DELETE ON services BEGIN "
    "DELETE FROM services_fts WHERE rowid = old.rowid; END",
    "CREATE TRIGGER services_fts_au AFTER UPDATE OF search_document ON services "
    "BEGIN UPDATE services_fts SET document = new.search_document WHERE rowid = old.rowid; END",
    "INSERT INTO services_fts(rowid, service_id, document) "
    "SELECT rowid, id, search_document FROM services",
]
OLD_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE services_fts USING fts5(service_id UNINDEXED, title, description, "
    "tags, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER services_fts_ai AFTER INSERT ON services BEGIN "
    "INSERT INTO services_fts(rowid, service_id, title, description, tags) "
    "VALUES (new.rowid, new.id, new.title, new.description, new.tags_text); END",
    "CREATE TRIGGER services_fts_ad AFTER DELETE ON services BEGIN "
    "DELETE FROM services_fts WHERE rowid = old.rowid; END",
    "CREATE TRIGGER services_fts_au AFTER UPDATE OF title, description, tags_text ON services "
    "BEGIN UPDATE services_fts SET title = new.title, description = new.description, "
    "tags = new.tags_text WHERE rowid = old.rowid; END",
    "INSERT INTO services_fts(rowid, service_id, title, description, tags) "
    "SELECT rowid, id, title, description, tags_text FROM services",
]


def _drop_sqlite_fts() -> None:
    for name in ("services_fts_ai", "services_fts_ad", "services_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS services_fts")


def _backfill() -> None:
    bind = op.get_bind()
    services = sa.table(
        "services",
        sa.column("id", sa.Uuid()),
        sa.column("title"),
        sa.column("description"),
        sa.column("tags_text"),
        sa.column("search_document"),
    )
    last = None
    while True:
        stmt = sa.select(
            services.c.id, services.c.title, services.c.description, services.c.tags_text
        ).order_by(services.c.id)
        if last is not None:
            stmt = stmt.where(services.c.id > last)
        rows = bind.execute(stmt.limit(BATCH)).all()
        if not rows:
            return
        bind.execute(
            services.update()
            .where(services.c.id == sa.bindparam("b_id"))
            .values(search_document=sa.bindparam("b_doc")),
            [
                {"b_id": r.id, "b_doc": index_document(r.title, r.tags_text, r.description)}
                for r in rows
            ],
        )
        last = rows[-1].id


def _backfill_localities() -> None:
    bind = op.get_bind()
    users = sa.table(
        "users", sa.column("id", sa.Uuid()), sa.column("location"), sa.column("locality")
    )
    last = None
    while True:
        stmt = sa.select(users.c.id, users.c.location).where(users.c.location.is_not(None))
        if last is not None:
            stmt = stmt.where(users.c.id > last)
        rows = bind.execute(stmt.order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(
            users.update()
            .where(users.c.id == sa.bindparam("b_id"))
            .values(locality=sa.bindparam("b_locality")),
            [{"b_id": r.id, "b_locality": slug_of(r.location)} for r in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    op.add_column(
        "services", sa.Column("search_document", sa.Text(), server_default="", nullable=False)
    )
    op.add_column("professional_profiles", sa.Column("service_radius_km", sa.Integer()))
    op.add_column(
        "professional_profiles",
        sa.Column("service_localities", sa.JSON(), server_default="[]", nullable=False),
    )
    op.add_column("users", sa.Column("locality", sa.String(length=40), nullable=True))
    _backfill()
    _backfill_localities()
    if op.get_bind().dialect.name != "postgresql":
        op.create_index("ix_users_locality", "users", ["locality"])
        _drop_sqlite_fts()
        for statement in SQLITE_FTS:
            op.execute(statement)
        return
    # Dropping the column drops its index; the new one reads the analysed document only.
    op.execute("ALTER TABLE services DROP COLUMN search_vector")
    op.execute(
        "ALTER TABLE services ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        "(to_tsvector('simple'::regconfig, search_document)) STORED"
    )
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_services_search_vector "
            "ON services USING gin (search_vector)"
        )
        op.create_index(
            "ix_users_locality",
            "users",
            ["locality"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE services DROP COLUMN search_vector")
        op.execute(
            f"ALTER TABLE services ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"({OLD_PG_DOCUMENT}) STORED"
        )
        with op.get_context().autocommit_block():
            op.execute(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_services_search_vector "
                "ON services USING gin (search_vector)"
            )
    else:
        _drop_sqlite_fts()
        for statement in OLD_SQLITE_FTS:
            op.execute(statement)
    op.drop_index("ix_users_locality", table_name="users")
    op.drop_column("users", "locality")
    op.drop_column("professional_profiles", "service_localities")
    op.drop_column("professional_profiles", "service_radius_km")
    op.drop_column("services", "search_document")
