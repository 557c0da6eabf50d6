"""security: audit log actor names, filter indexes, append-only triggers

Revision ID: 0005_security
Revises: 0004
Create Date: 2026-11-25

The audit log becomes the record of security events (logins, lockouts, role changes, admin
actions, payment state changes, flag changes, deploys). Operators and CI are actors without a
user row, so an entry carries an actor name too. The table is append-only: a trigger refuses
UPDATE and DELETE on both engines, so no code path (or SQL typo) can rewrite history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db  # noqa: F401

revision: str = "0005_security"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_audit_log_action_created_at", ["action", "created_at"]),
    ("ix_audit_log_created_at", ["created_at"]),
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("actor_name", sa.String(length=128), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # CONCURRENTLY: the audit log is written by every login on a live system.
        with op.get_context().autocommit_block():
            for name, columns in INDEXES:
                op.create_index(
                    name, "audit_log", columns, postgresql_concurrently=True, if_not_exists=True
                )
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for name, columns in INDEXES:
        op.create_index(name, "audit_log", columns)
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {verb} refused'); END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        with op.get_context().autocommit_block():
            for name, _ in INDEXES:
                op.drop_index(
                    name, table_name="audit_log", postgresql_concurrently=True, if_exists=True
                )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for name, _ in INDEXES:
            op.drop_index(name, table_name="audit_log")
    op.drop_column("audit_log", "actor_name")
