"""Nightly reconciliation: our records against the provider's, and the books against
themselves. Reads in one transaction, asks the provider outside it, writes nothing: every
mismatch is logged and counted (alert MoneyReconciliationMismatch, its runbook says what
to do)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixia import events
from fixia.db import transactional
from fixia.money import ledger
from fixia.money.models import LedgerPosting
from fixia.payments.exceptions import ProviderRejected, ProviderUnavailable
from fixia.payments.models import Payment, PaymentKind, PaymentStatus
from fixia.payments.providers import PaymentProvider, ProviderPaymentMissing

log = logging.getLogger("fixia.money.reconcile")


@dataclass(frozen=True)
class Ours:
    payment_id: uuid.UUID
    provider_payment_id: str
    amount: Decimal
    status: PaymentStatus
    funded: bool


@dataclass(frozen=True)
class Mismatch:
    kind: str
    subject: str
    detail: str


def _ledger_key(payment: Payment) -> str:
    """The entry an approved payment must have posted: a milestone's funding, or a whole
    job's payment (fixia.money.job_payments)."""
    if payment.milestone_id is not None:
        return f"fund:{payment.milestone_id}"
    return f"job_payment:{payment.id}"


async def _ours(session: AsyncSession, provider: str, since: datetime) -> list[Ours]:
    stmt = select(Payment).where(
        Payment.kind == PaymentKind.job,
        Payment.provider == provider,
        Payment.provider_payment_id.is_not(None),
        Payment.updated_at >= since,
    )
    found = []
    for p in (await session.execute(stmt)).scalars():
        assert p.provider_payment_id is not None  # filtered
        funded = await ledger.posted(session, _ledger_key(p)) is not None
        found.append(Ours(p.id, p.provider_payment_id, p.amount, p.status, funded))
    return found


async def books(session: AsyncSession) -> list[Mismatch]:
    """The accounting equation, and no account below zero where that cannot happen."""
    debit = select(LedgerPosting.debit_account)
    credit = select(LedgerPosting.credit_account)
    accounts = set((await session.execute(debit.union(credit))).scalars())
    balances = await ledger.balances(session, accounts)
    wrong = [
        Mismatch("negative_balance", a, str(v))
        for a, v in balances.items()
        if v < 0 and a not in ledger.MAY_GO_NEGATIVE
    ]
    owed = sum(v for a, v in balances.items() if not ledger.debit_normal(a))
    assets = balances.get(ledger.PROVIDER_CLEARING, 0) + balances.get(ledger.CHARGEBACK_LOSSES, 0)
    if assets != owed:
        wrong.append(Mismatch("equation", "ledger", f"assets {assets} != owed {owed}"))
    return wrong


def compare(ours: Ours, status: PaymentStatus, amount: Decimal) -> Mismatch | None:
    subject = str(ours.payment_id)
    if amount != ours.amount:
        return Mismatch("amount", subject, f"provider {amount}, ours {ours.amount}")
    if status is PaymentStatus.approved and not ours.funded:
        return Mismatch("not_held", subject, "approved at the provider, nothing held")
    if status is not ours.status:
        return Mismatch("status", subject, f"provider {status.value}, ours {ours.status.value}")
    return None


async def run(
    sessions: async_sessionmaker[AsyncSession], provider: PaymentProvider, since: datetime
) -> list[Mismatch]:
    async with transactional(sessions) as session:
        ours = await _ours(session, provider.name, since)
        found = await books(session)
    for record in ours:
        try:
            remote = await provider.get_payment(record.provider_payment_id)
        except ProviderPaymentMissing:
            found.append(Mismatch("missing", str(record.payment_id), "unknown to the provider"))
            continue
        except (ProviderRejected, ProviderUnavailable):
            raise  # the job is retried; a half-done run proves nothing
        mismatch = compare(record, remote.status, remote.amount)
        if mismatch is not None:
            found.append(mismatch)
    for m in found:
        log.warning("reconciliation mismatch %s on %s: %s", m.kind, m.subject, m.detail)
        events.observe("money.reconciliation_mismatch", kind=m.kind, subject=m.subject)
    return found
