"""Business counters fed by the domain-event hook (src/fixia/events.py).

Domain code announces what happened; this module decides what is counted, so a new metric
never touches a service.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from fixia import events
from fixia.events import DomainEvent
from fixia.observability import metrics as m


def _payment(status: str) -> Callable[[DomainEvent], None]:
    def count(event: DomainEvent) -> None:
        m.PAYMENTS.labels(status).inc()
        try:
            amount = Decimal(str(event.data.get("amount", "0")))
        except InvalidOperation:
            return
        if amount > 0:
            m.PAYMENT_AMOUNT.labels(status).inc(float(amount))

    return count


def _flag(event: DomainEvent) -> None:
    d = event.data
    m.FLAG_EVALUATIONS.labels(
        str(d.get("flag", "")), str(d.get("variant", "")), str(d.get("reason", ""))
    ).inc()


HANDLERS: dict[str, Callable[[DomainEvent], None]] = {
    "user.registered": lambda e: m.REGISTRATIONS.labels("ok").inc(),
    "user.registration_failed": lambda e: m.REGISTRATIONS.labels("failed").inc(),
    "auth.login": lambda e: m.LOGINS.labels(str(e.data.get("outcome", "failed"))).inc(),
    "project.created": lambda e: m.PROJECTS.inc(),
    "proposal.sent": lambda e: m.PROPOSALS.inc(),
    "match.created": lambda e: m.MATCHES.inc(),
    "job.completed": lambda e: m.JOBS_COMPLETED.inc(),
    "review.created": lambda e: m.REVIEWS.inc(),
    "payment.approved": _payment("approved"),
    "payment.rejected": _payment("rejected"),
    # A checkout the provider could not open: the payer could not pay.
    "checkout.failed": _payment("error"),
    "checkout.opened": lambda e: m.CHECKOUTS.labels("ok").inc(),
    "subscription.activated": lambda e: m.SUBSCRIPTIONS.labels(str(e.data.get("plan"))).inc(),
    "subscription.renewed": lambda e: m.RENEWALS.labels("renewed").inc(),
    "subscription.renewal_failed": lambda e: m.RENEWALS.labels("failed").inc(),
    "subscription.renewal_lapsed": lambda e: m.RENEWALS.labels("lapsed").inc(),
    "payment.webhook_signature_failed": lambda e: m.WEBHOOK_SIGNATURE_FAILURES.labels(
        str(e.data.get("provider", "unknown"))
    ).inc(),
    "flag.evaluated": _flag,
    "money.reconciliation_mismatch": lambda e: m.RECONCILIATION_MISMATCHES.labels(
        str(e.data.get("kind", "unknown"))
    ).inc(),
}


def _checkout_failed(event: DomainEvent) -> None:
    m.CHECKOUTS.labels("error").inc()


_unsubscribe: list[Callable[[], None]] = []


def subscribe_all() -> None:
    """Idempotent: every app of the process shares one set of counters."""
    if _unsubscribe:
        return
    for name, handler in HANDLERS.items():
        _unsubscribe.append(events.subscribe(name, handler))
    _unsubscribe.append(events.subscribe("checkout.failed", _checkout_failed))


def unsubscribe_all() -> None:
    while _unsubscribe:
        _unsubscribe.pop()()
