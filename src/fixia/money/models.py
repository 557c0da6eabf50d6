"""Milestones and the double-entry ledger (docs/money.md)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fixia.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class LedgerEntry(IdMixin, Base):
    """One journal entry: a money movement, made of postings that each balance on their own.

    `idempotency_key` names the business event (e.g. "fund:<milestone>"): posting it twice
    is a no-op, which is what makes webhook replays and job retries safe."""

    __tablename__ = "ledger_entries"

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    memo: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerPosting(IdMixin, Base):
    """A debit of one account and a credit of another by the same amount, in centavos.

    Storing the pair in one row makes every entry balance by construction, and the CHECKs
    below make the database refuse an unbalanced one on SQLite and PostgreSQL alike: there
    is no way to write a lone debit. An account's balance is the sum of its postings."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("debit_account <> credit_account", name="two_accounts"),
        Index("ix_ledger_postings_debit", "debit_account"),
        Index("ix_ledger_postings_credit", "credit_account"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_entries.id", ondelete="RESTRICT"), index=True
    )
    debit_account: Mapped[str] = mapped_column(String(80))
    credit_account: Mapped[str] = mapped_column(String(80))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="ARS")


class MilestoneStatus(enum.StrEnum):
    proposed = "proposed"
    agreed = "agreed"
    funded = "funded"
    done = "done"
    released = "released"
    disputed = "disputed"
    refunded = "refunded"


class Milestone(IdMixin, TimestampMixin, Base):
    """A part of a job's price: funded (held), done, then released to the professional."""

    __tablename__ = "milestones"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal]
    due_date: Mapped[datetime | None]
    status: Mapped[MilestoneStatus] = mapped_column(
        str_enum(MilestoneStatus, "milestone_status"), default=MilestoneStatus.proposed
    )
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    funded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    refunded_amount: Mapped[Decimal | None]


class PayoutAccount(IdMixin, TimestampMixin, Base):
    """Where a professional is paid: their account at the provider, linked through OAuth."""

    __tablename__ = "payout_accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(128))


class PayoutStatus(enum.StrEnum):
    pending = "pending"
    paid = "paid"
    failed = "failed"


class Payout(IdMixin, TimestampMixin, Base):
    """One transfer of released money to a professional. Its id is the provider's
    idempotency key, so every retry of a pending payout is the same transfer."""

    __tablename__ = "payouts"

    professional_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[str] = mapped_column(String(128))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="ARS")
    status: Mapped[PayoutStatus] = mapped_column(
        str_enum(PayoutStatus, "payout_status"), default=PayoutStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    provider_payout_id: Mapped[str | None] = mapped_column(String(128))
    paid_at: Mapped[datetime | None]
