"""job queue: procrastinate's schema (PostgreSQL) and the e-mail delivery log

Revision ID: 0006_job_queue
Revises: 0005_security
Create Date: 2026-12-07

Work that leaves the building runs after the commit, from procrastinate's job queue
(docs/operations/queue.md). On PostgreSQL its tables, types and functions are applied here,
from the pinned library's own schema file, so a deploy's migration gate covers them like ours.
The embedded SQLite default keeps its jobs in process and needs none of it.

`email_deliveries` records each sent message by its idempotency key: a job that runs twice
(a retry after a crash, an operator's re-run) sends its e-mail once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only

import fixia.db

revision: str = "0006_job_queue"
down_revision: str | Sequence[str] | None = "0005_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP_QUEUE = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables
             WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t
             JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
               AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
    END LOOP;
END
$$
"""


def _run_script(sql: str) -> None:
    """The schema is many statements with dollar-quoted bodies: asyncpg runs such a script
    whole over the simple query protocol, inside this migration's transaction."""
    bind = op.get_bind()
    bind.execute(sa.text("SELECT 1"))  # opens the transaction the script then joins
    driver = bind.connection.driver_connection
    assert driver is not None, "the migration's connection is open"
    await_only(driver.execute(sql))


def upgrade() -> None:
    op.create_table(
        "email_deliveries",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("sent_at", fixia.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_email_deliveries")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run_script(DROP_QUEUE)
    op.drop_table("email_deliveries")
