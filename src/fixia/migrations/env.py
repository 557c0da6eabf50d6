"""Alembic environment: async engine, safe timeouts and a lock so two deploys never race."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from fixia.config import Settings, get_settings
from fixia.db import Base, create_engine
from fixia.models import import_all

import_all()
config = context.config
settings: Settings = config.attributes.get("settings") or get_settings()
target_metadata = Base.metadata
MIGRATION_LOCK_ID = 7_311_001  # arbitrary, fixed: the advisory lock all deploys agree on

# Objects that only exist on one engine and are managed by hand in migrations.
HAND_MANAGED = {
    "services_fts",
    "ix_services_fts",
    "ix_users_location_trgm",
    "search_vector",
    "ix_services_search_vector",
    "ix_search_terms_word_trgm",
}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # procrastinate's schema is the queue library's own (applied by 0006, not in our models).
    prefix = (name or "").startswith(("services_fts", "procrastinate_"))
    return not (name in HAND_MANAGED or prefix)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transaction_per_migration=True,
    )
    if connection.dialect.name == "postgresql":
        # Fail fast rather than queue behind a long transaction and block all traffic.
        connection.execute(text("SET lock_timeout = '5s'"))
        connection.execute(text("SET statement_timeout = '60s'"))
        connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))


async def _main() -> None:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


def run() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline migrations are not supported; run against a database")
    asyncio.run(_main())


run()
