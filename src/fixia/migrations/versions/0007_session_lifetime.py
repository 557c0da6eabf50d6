"""refresh tokens carry their session's absolute end

Revision ID: 0007_session_lifetime
Revises: 0006_job_queue
Create Date: 2026-12-07

A refresh-token family (one log-in) used to live forever as long as it kept rotating. Each
token now carries the end of its session, inherited through rotations; past it the user logs
in again. Rows from before stay NULL and count from their own creation (expand-only: the
old release ignores the column).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db

revision: str = "0007_session_lifetime"
down_revision: str | Sequence[str] | None = "0006_job_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("session_expires_at", fixia.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("session_expires_at")
