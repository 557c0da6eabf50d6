"""renewals: subscriptions renew through the provider's recurring agreement

Revision ID: 0016_renewals
Revises: 0015_trgm
Create Date: 2026-12-07

Issue #24, item 6. Expand only: three new columns on subscriptions, all nullable or with a
server default, and their indexes. renewal_of_id has no foreign key on purpose (adding one
to a live table validates every row under a lock).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db  # noqa: F401

revision: str = "0016_renewals"
down_revision: str | Sequence[str] | None = "0015_trgm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("auto_renew", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("subscriptions", sa.Column("agreement_id", sa.String(length=128), nullable=True))
    op.add_column("subscriptions", sa.Column("renewal_of_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_subscriptions_agreement_id"), "subscriptions", ["agreement_id"], unique=False
    )
    op.create_index(
        op.f("ix_subscriptions_renewal_of_id"), "subscriptions", ["renewal_of_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_subscriptions_renewal_of_id"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_agreement_id"), table_name="subscriptions")
    op.drop_column("subscriptions", "renewal_of_id")
    op.drop_column("subscriptions", "agreement_id")
    op.drop_column("subscriptions", "auto_renew")
