"""Turn payment rows into responses; the only place that decides what a caller may see."""

from __future__ import annotations

import uuid

from fixia.config import Settings
from fixia.payments.models import Payment, PaymentEvent, Subscription
from fixia.payments.schemas import (
    PaymentDetail,
    PaymentEventOut,
    PaymentOut,
    PlanOut,
    SubscriptionOut,
)
from fixia.payments.subscriptions import purchasable_plans


def payment_out(payment: Payment, viewer_id: uuid.UUID) -> PaymentOut:
    # The job's professional sees the money, not the payer's checkout link.
    is_payer = payment.payer_id == viewer_id
    return PaymentOut(
        id=payment.id,
        kind=payment.kind,
        status=payment.status,
        amount=payment.amount,
        currency=payment.currency,
        platform_fee=payment.platform_fee,
        professional_amount=payment.professional_amount,
        job_id=payment.job_id,
        plan=payment.plan,
        provider=payment.provider,
        checkout_url=payment.checkout_url if is_payer else None,
        provider_preference_id=payment.provider_preference_id if is_payer else None,
        status_changed_at=payment.status_changed_at,
        created_at=payment.created_at,
    )


def payment_detail(
    payment: Payment, viewer_id: uuid.UUID, history: list[PaymentEvent]
) -> PaymentDetail:
    return PaymentDetail(
        **payment_out(payment, viewer_id).model_dump(),
        history=[PaymentEventOut.model_validate(event) for event in history],
    )


def subscription_out(subscription: Subscription, payment: Payment | None) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        plan=subscription.plan,
        status=subscription.status,
        started_at=subscription.started_at,
        expires_at=subscription.expires_at,
        cancelled_at=subscription.cancelled_at,
        created_at=subscription.created_at,
        auto_renew=subscription.auto_renew,
        payment=payment_out(payment, subscription.user_id) if payment else None,
    )


def plans_out(settings: Settings) -> list[PlanOut]:
    return [
        PlanOut(
            name=name,
            price_ars=settings.plans[name].price_ars,
            duration_days=settings.plans[name].duration_days,
            active_services=settings.plans[name].active_services,
            projects_per_month=settings.plans[name].projects_per_month,
            proposals_per_month=settings.plans[name].proposals_per_month,
        )
        for name in purchasable_plans(settings)
    ]
