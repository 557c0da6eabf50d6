"""Payouts: released money leaves for the professional's linked account. Never commits.

A payout is prepared in one transaction (the money moves from payable to in transit), sent
to the provider outside any transaction, and settled in another. A crash in between leaves
a pending payout, which the next attempt sends again with the same idempotency key."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.db import utcnow
from fixia.money import ledger, rules
from fixia.money.models import Payout, PayoutAccount, PayoutStatus


async def account_of(session: AsyncSession, user_id: uuid.UUID) -> PayoutAccount | None:
    stmt = select(PayoutAccount).where(PayoutAccount.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def link(
    session: AsyncSession, *, user_id: uuid.UUID, provider: str, account_id: str
) -> PayoutAccount:
    account = await account_of(session, user_id)
    if account is None:
        account = PayoutAccount(user_id=user_id, provider=provider, account_id=account_id)
        session.add(account)
    else:
        account.provider, account.account_id = provider, account_id
    await session.flush()
    events.emit(session, "payout_account.linked", user_id=str(user_id))
    return account


async def pending(session: AsyncSession, professional_id: uuid.UUID) -> Payout | None:
    stmt = (
        select(Payout)
        .where(Payout.professional_id == professional_id, Payout.status == PayoutStatus.pending)
        .order_by(Payout.created_at)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def prepare(session: AsyncSession, professional_id: uuid.UUID) -> Payout | None:
    """The payout to send: a pending one (a retry), or a new one for all that is payable.
    None when nothing is owed or no account is linked (the money waits, payable)."""
    await ledger.lock_payable(session, professional_id)
    existing = await pending(session, professional_id)
    if existing is not None:
        return existing
    owed = await ledger.balance(session, ledger.payable(professional_id))
    account = await account_of(session, professional_id)
    if owed <= 0 or account is None:
        return None
    payout = Payout(
        professional_id=professional_id,
        account_id=account.account_id,
        amount=ledger.from_cents(owed),
        status=PayoutStatus.pending,
    )
    session.add(payout)
    await session.flush()
    await ledger.post(session, rules.payout_sent(payout.id, professional_id, owed))
    return payout


async def _locked(session: AsyncSession, payout_id: uuid.UUID) -> Payout | None:
    stmt = select(Payout).where(Payout.id == payout_id).with_for_update()
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar()


async def settled(session: AsyncSession, payout_id: uuid.UUID, provider_payout_id: str) -> None:
    payout = await _locked(session, payout_id)
    if payout is None or payout.status is not PayoutStatus.pending:
        return
    await ledger.post(session, rules.payout_settled(payout.id, ledger.to_cents(payout.amount)))
    payout.status, payout.paid_at = PayoutStatus.paid, utcnow()
    payout.provider_payout_id = provider_payout_id
    events.emit(session, "payout.paid", payout_id=str(payout.id), amount=str(payout.amount))


async def attempt_failed(
    session: AsyncSession, payout_id: uuid.UUID, error: str, *, final: bool
) -> None:
    """A failed attempt is counted; a final failure gives the money back to payable."""
    payout = await _locked(session, payout_id)
    if payout is None or payout.status is not PayoutStatus.pending:
        return
    payout.attempts += 1
    payout.last_error = error[:300]
    if final:
        cents = ledger.to_cents(payout.amount)
        await ledger.post(session, rules.payout_failed(payout.id, payout.professional_id, cents))
        payout.status = PayoutStatus.failed
        events.observe("payout.failed", payout_id=str(payout.id))


async def report(session: AsyncSession, professional_id: uuid.UUID) -> dict[str, object]:
    """What a professional is owed, what is on its way, and every payout."""
    stmt = (
        select(Payout)
        .where(Payout.professional_id == professional_id)
        .order_by(Payout.created_at.desc())
        .limit(200)
    )
    rows = list((await session.execute(stmt)).scalars())
    owed = await ledger.balance(session, ledger.payable(professional_id))
    in_transit = sum(
        (p.amount for p in rows if p.status is PayoutStatus.pending), ledger.from_cents(0)
    )
    paid = sum((p.amount for p in rows if p.status is PayoutStatus.paid), ledger.from_cents(0))
    return {
        "payable": ledger.from_cents(owed),
        "in_transit": in_transit,
        "paid": paid,
        "payouts": rows,
        "account": await account_of(session, professional_id),
    }
