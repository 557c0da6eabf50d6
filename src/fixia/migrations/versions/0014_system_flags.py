"""review flags raised by the system: review_flags.user_id becomes nullable

Revision ID: 0014_system_flags
Revises: 0013_money
Create Date: 2026-12-07

Issue #22. The burst-of-low-ratings hold (trust.abuse) flagged the held reviews under the
professional's own id, so the admins' queue showed the victim as the one who reported them.
A system flag has no person behind it: NULL. Expand only: the previous release writes
non-null ids, which stay valid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_system_flags"
down_revision: str | Sequence[str] | None = "0013_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_flags", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # The old schema cannot hold a flag without a person; the held reviews stay hidden with
    # their moderation reason, so the admins still find them in the hidden list.
    op.execute("DELETE FROM review_flags WHERE user_id IS NULL")
    with op.batch_alter_table("review_flags", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Uuid(), nullable=False)
