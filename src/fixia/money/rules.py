"""Which journal entry each money event makes. Pure: the service posts them, the property
tests replay them. Keys name the business event, so each is posted at most once."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from fixia.money import ledger as L
from fixia.money.ledger import Entry, Posting


def fee_cents(cents: int, rate: Decimal) -> int:
    """The platform's fee rounds half up to the centavo, as payments.service.split_commission
    does; the professional gets exactly the rest."""
    return int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _postings(*pairs: tuple[str, str, int]) -> tuple[Posting, ...]:
    return tuple(Posting(d, c, n) for d, c, n in pairs if n > 0)


def fund(milestone: uuid.UUID, job: uuid.UUID, cents: int) -> Entry:
    """The provider confirmed the client's payment: the money is held for the milestone."""
    return Entry(
        key=f"fund:{milestone}",
        kind="fund",
        postings=_postings((L.PROVIDER_CLEARING, L.held(milestone), cents)),
        job_id=job,
        milestone_id=milestone,
    )


def release(
    milestone: uuid.UUID, job: uuid.UUID, professional: uuid.UUID, cents: int, rate: Decimal
) -> Entry:
    """Held money goes to the professional, less the platform's fee (earned only now)."""
    fee = fee_cents(cents, rate)
    return Entry(
        key=f"release:{milestone}",
        kind="release",
        postings=_postings(
            (L.held(milestone), L.PLATFORM_FEES, fee),
            (L.held(milestone), L.payable(professional), cents - fee),
        ),
        job_id=job,
        milestone_id=milestone,
    )


def refund(milestone: uuid.UUID, job: uuid.UUID, cents: int) -> Entry:
    """An admin decided to give the client `cents` back: owed until the provider confirms."""
    return Entry(
        key=f"refund:{milestone}",
        kind="refund",
        postings=_postings((L.held(milestone), L.REFUNDS_PENDING, cents)),
        job_id=job,
        milestone_id=milestone,
    )


def refund_settled(milestone: uuid.UUID, job: uuid.UUID, cents: int) -> Entry:
    return Entry(
        key=f"refund_settled:{milestone}",
        kind="refund_settled",
        postings=_postings((L.REFUNDS_PENDING, L.PROVIDER_CLEARING, cents)),
        job_id=job,
        milestone_id=milestone,
    )


def chargeback(milestone: uuid.UUID, job: uuid.UUID, held_cents: int, cents: int) -> Entry:
    """The payer's bank took the money back. What is still held covers it; the rest (already
    released) is the platform's loss."""
    from_held = min(held_cents, cents)
    return Entry(
        key=f"chargeback:{milestone}",
        kind="chargeback",
        postings=_postings(
            (L.held(milestone), L.PROVIDER_CLEARING, from_held),
            (L.CHARGEBACK_LOSSES, L.PROVIDER_CLEARING, cents - from_held),
        ),
        job_id=job,
        milestone_id=milestone,
    )


def payout_sent(payout: uuid.UUID, professional: uuid.UUID, cents: int) -> Entry:
    return Entry(
        key=f"payout:{payout}",
        kind="payout",
        postings=_postings((L.payable(professional), L.PAYOUTS_PENDING, cents)),
    )


def payout_settled(payout: uuid.UUID, cents: int) -> Entry:
    return Entry(
        key=f"payout_settled:{payout}",
        kind="payout_settled",
        postings=_postings((L.PAYOUTS_PENDING, L.PROVIDER_CLEARING, cents)),
    )


def payout_failed(payout: uuid.UUID, professional: uuid.UUID, cents: int) -> Entry:
    """The transfer failed for good: the money is owed to the professional again."""
    return Entry(
        key=f"payout_failed:{payout}",
        kind="payout_failed",
        postings=_postings((L.PAYOUTS_PENDING, L.payable(professional), cents)),
    )


def job_paid(
    payment: uuid.UUID, job: uuid.UUID, professional: uuid.UUID, fee: int, net: int
) -> Entry:
    """A whole job paid in one checkout (no milestones): the provider holds the money, the
    fee is earned and the rest is owed to the professional at once, as payments has always
    told them (`payment_received`). Holding a job's money is what milestones are for."""
    return Entry(
        key=f"job_payment:{payment}",
        kind="job_payment",
        postings=_postings(
            (L.PROVIDER_CLEARING, L.PLATFORM_FEES, fee),
            (L.PROVIDER_CLEARING, L.payable(professional), net),
        ),
        job_id=job,
        memo=f"payment {payment}",
    )


def job_paid_twice(payment: uuid.UUID, job: uuid.UUID, cents: int) -> Entry:
    """A second paid checkout for a job already paid: the money came in, and it is owed back
    to the client (payments flags it for a refund), not to the professional."""
    return Entry(
        key=f"job_payment:{payment}",
        kind="job_payment_duplicate",
        postings=_postings((L.PROVIDER_CLEARING, L.REFUNDS_PENDING, cents)),
        job_id=job,
        memo=f"payment {payment} paid twice",
    )


def job_payment_reversed(
    payment: uuid.UUID, job: uuid.UUID, professional: uuid.UUID, fee: int, owed: int, net: int
) -> Entry:
    """The provider gave a whole-job payment back (refund or chargeback): the fee is undone,
    what the professional is still owed covers their part, and whatever was already paid out
    is the platform's loss."""
    from_owed = min(owed, net)
    return Entry(
        key=f"job_payment_reversed:{payment}",
        kind="job_payment_reversed",
        postings=_postings(
            (L.PLATFORM_FEES, L.PROVIDER_CLEARING, fee),
            (L.payable(professional), L.PROVIDER_CLEARING, from_owed),
            (L.CHARGEBACK_LOSSES, L.PROVIDER_CLEARING, net - from_owed),
        ),
        job_id=job,
        memo=f"payment {payment} reversed",
    )


def job_duplicate_refunded(payment: uuid.UUID, job: uuid.UUID, cents: int) -> Entry:
    return Entry(
        key=f"job_payment_reversed:{payment}",
        kind="job_payment_duplicate_refunded",
        postings=_postings((L.REFUNDS_PENDING, L.PROVIDER_CLEARING, cents)),
        job_id=job,
        memo=f"payment {payment} paid twice, refunded",
    )
