"""money: milestones, the double-entry ledger, payout accounts and payouts

Revision ID: 0013_money
Revises: 0012_conversations
Create Date: 2026-12-07

Expand only (docs/money.md): new tables, and a nullable `payments.milestone_id` without a
foreign key (adding one would lock and validate the busy payments table). Its index is built
CONCURRENTLY on PostgreSQL. The ledger's CHECKs make an unbalanced posting impossible.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db

revision: str = "0013_money"
down_revision: str | Sequence[str] | None = "0012_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_payout_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_accounts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_payout_accounts_user_id")),
    )
    op.create_table(
        "payouts",
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("amount", fixia.db.Money(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "paid", "failed", name="payout_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("provider_payout_id", sa.String(length=128), nullable=True),
        sa.Column("paid_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["users.id"], name=op.f("fk_payouts_professional_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payouts_professional_id"), ["professional_id"], unique=False
        )

    op.create_table(
        "milestones",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount", fixia.db.Money(precision=12, scale=2), nullable=False),
        sa.Column("due_date", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "agreed",
                "funded",
                "done",
                "released",
                "disputed",
                "refunded",
                name="milestone_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("funded_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("refunded_amount", fixia.db.Money(precision=12, scale=2), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_milestones_amount_positive")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_milestones_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_milestones_proposed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestones_job_id"), ["job_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("milestone_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=300), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_ledger_entries_job_id_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
            name=op.f("fk_ledger_entries_milestone_id_milestones"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_milestone_id"), ["milestone_id"], unique=False
        )

    op.create_table(
        "ledger_postings",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("debit_account", sa.String(length=80), nullable=False),
        sa.Column("credit_account", sa.String(length=80), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_ledger_postings_amount_positive")),
        sa.CheckConstraint(
            "debit_account <> credit_account", name=op.f("ck_ledger_postings_two_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_postings_entry_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_postings_credit", ["credit_account"], unique=False)
        batch_op.create_index("ix_ledger_postings_debit", ["debit_account"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_postings_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestone_id", sa.Uuid(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_payments_milestone_id "
                "ON payments (milestone_id)"
            )
    else:
        op.create_index("ix_payments_milestone_id", "payments", ["milestone_id"])


def downgrade() -> None:
    op.drop_index("ix_payments_milestone_id", table_name="payments")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("milestone_id")

    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_postings_entry_id"))
        batch_op.drop_index("ix_ledger_postings_debit")
        batch_op.drop_index("ix_ledger_postings_credit")

    op.drop_table("ledger_postings")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_milestone_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_job_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_job_id"))

    op.drop_table("milestones")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_professional_id"))

    op.drop_table("payouts")
    op.drop_table("payout_accounts")
