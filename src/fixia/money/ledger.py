"""The double-entry ledger: named accounts, balanced entries, balances derived from postings.

Amounts are integer centavos (ARS has two decimals, as MercadoPago's amounts do). Decimals
from the rest of the app are converted exactly: an amount with more than two decimals is a
bug, not something to round silently. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.money.models import LedgerEntry, LedgerPosting

CENT = Decimal("0.01")

# The chart of accounts. Asset and expense accounts grow with debits; liability and revenue
# accounts with credits. Every account's natural balance is never negative.
PROVIDER_CLEARING = "provider_clearing"  # asset: money the provider holds for us
PLATFORM_FEES = "platform_fee_revenue"  # revenue: our commission, earned at release
REFUNDS_PENDING = "refunds_pending"  # liability: refunds decided, not yet confirmed
PAYOUTS_PENDING = "payouts_in_transit"  # liability: payouts sent, not yet confirmed
CHARGEBACK_LOSSES = "chargeback_losses"  # expense: money the provider took back after release
DEBIT_NORMAL = frozenset({PROVIDER_CLEARING, CHARGEBACK_LOSSES})
# The provider balance is the platform's pooled account: a chargeback after a payout may take
# it below what one milestone brought in. Reconciliation watches it; every other account going
# negative would mean paying out or refunding money that was never there, so it is refused.
MAY_GO_NEGATIVE = frozenset({PROVIDER_CLEARING})


def held(milestone_id: uuid.UUID | str) -> str:
    """Liability: a client's money held for one milestone until release or refund."""
    return f"client_funds_held:{milestone_id}"


def payable(professional_id: uuid.UUID | str) -> str:
    """Liability: released money owed to one professional until it is paid out."""
    return f"payable_to_professional:{professional_id}"


def debit_normal(account: str) -> bool:
    return account in DEBIT_NORMAL


class UnbalancedEntry(ValueError):
    """An entry without postings, or a posting that is not a positive amount between two
    different accounts: refused before the database would refuse it."""


class NegativeBalance(ValueError):
    """A posting would take an account below zero (more released than was held)."""


def to_cents(amount: Decimal) -> int:
    if amount != amount.quantize(CENT):
        raise ValueError(f"{amount} has more than two decimals")
    return int(amount * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


@dataclass(frozen=True)
class Posting:
    debit: str
    credit: str
    cents: int


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    postings: tuple[Posting, ...]
    job_id: uuid.UUID | None = None
    milestone_id: uuid.UUID | None = None
    memo: str = ""


def validate(postings: Sequence[Posting]) -> None:
    if not postings:
        raise UnbalancedEntry("an entry needs at least one posting")
    for p in postings:
        if p.cents <= 0 or p.debit == p.credit:
            raise UnbalancedEntry(f"bad posting {p}")


def lines(postings: Iterable[Posting]) -> list[tuple[str, int]]:
    """The classic view: (account, signed amount), debits positive. Always sums to zero."""
    out: list[tuple[str, int]] = []
    for p in postings:
        out += [(p.debit, p.cents), (p.credit, -p.cents)]
    return out


def effect(postings: Iterable[Posting]) -> dict[str, int]:
    """How much each account's natural balance moves."""
    moved: dict[str, int] = {}
    for account, signed in lines(postings):
        moved[account] = moved.get(account, 0) + (signed if debit_normal(account) else -signed)
    return moved


async def balance(session: AsyncSession, account: str) -> int:
    """The natural balance of an account, from its postings (never stored)."""
    debits = await session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0)).where(
            LedgerPosting.debit_account == account
        )
    )
    credits = await session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0)).where(
            LedgerPosting.credit_account == account
        )
    )
    signed = int(debits or 0) - int(credits or 0)
    return signed if debit_normal(account) else -signed


async def balances(session: AsyncSession, accounts: Iterable[str]) -> dict[str, int]:
    return {account: await balance(session, account) for account in set(accounts)}


async def posted(session: AsyncSession, key: str) -> LedgerEntry | None:
    stmt = select(LedgerEntry).where(LedgerEntry.idempotency_key == key)
    return (await session.execute(stmt)).scalar_one_or_none()


async def post(session: AsyncSession, entry: Entry) -> tuple[LedgerEntry, bool]:
    """Write the entry once: (row, created). The caller holds the lock of the thing the money
    belongs to (the milestone row), so the balance check below cannot race a concurrent post.
    A concurrent post of the same key still fails on the unique constraint."""
    validate(entry.postings)
    existing = await posted(session, entry.key)
    if existing is not None:
        return existing, False
    moved = effect(entry.postings)
    falling = [a for a, d in moved.items() if d < 0 and a not in MAY_GO_NEGATIVE]
    current = await balances(session, falling)
    for account, have in current.items():
        if have + moved[account] < 0:
            raise NegativeBalance(f"{account} would go to {have + moved[account]}")
    row = LedgerEntry(
        idempotency_key=entry.key,
        kind=entry.kind,
        job_id=entry.job_id,
        milestone_id=entry.milestone_id,
        memo=entry.memo[:300],
    )
    session.add(row)
    await session.flush()
    session.add_all(
        LedgerPosting(
            entry_id=row.id, debit_account=p.debit, credit_account=p.credit, amount_cents=p.cents
        )
        for p in entry.postings
    )
    await session.flush()
    return row, True


async def lock_payable(session: AsyncSession, professional_id: uuid.UUID) -> None:
    """Serialise what spends a professional's payable money (a payout, a provider's reversal):
    each reads the balance and then posts against it, so two at once could spend it twice.
    The lock is the professional's user row, held to the end of the transaction. SQLite has
    no row locks; a write there takes the database's one write lock, and it must be taken
    before the balance is read."""
    if session.get_bind().dialect.name == "sqlite":
        # Setting a column to itself changes nothing (and keeps updated_at's onupdate away).
        await session.execute(
            update(User)
            .where(User.id == professional_id)
            .values(updated_at=User.updated_at)
            .execution_options(synchronize_session=False)
        )
    else:
        await session.execute(select(User.id).where(User.id == professional_id).with_for_update())
