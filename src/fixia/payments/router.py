from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from fixia.accounts.dependencies import CurrentUser
from fixia.deps import SessionDep, SettingsDep
from fixia.payments import renewals, service, subscriptions, webhooks
from fixia.payments.dependencies import (
    IdempotencyKey,
    ProviderDep,
    Sandbox,
    VisiblePayment,
    WebhookProvider,
)
from fixia.payments.models import PaymentStatus
from fixia.payments.presenters import payment_detail, payment_out, plans_out, subscription_out
from fixia.payments.schemas import (
    PaymentDetail,
    PaymentOut,
    PlanOut,
    RenewalOut,
    SandboxCheckoutIn,
    SandboxCheckoutOut,
    SubscriptionIn,
    SubscriptionOut,
    WebhookAck,
)
from fixia.platform.pagination import Page
from fixia.platform.ratelimit import rate_limit

router = APIRouter(tags=["payments"])
subscriptions_router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])
CREATED_OR_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Replay of an Idempotency-Key: the same payment"}
}


@router.post(
    "/jobs/{job_id}/payments", status_code=status.HTTP_201_CREATED, responses=CREATED_OR_REPLAYED
)
async def pay_job(
    job_id: uuid.UUID,
    key: IdempotencyKey,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
    response: Response,
) -> PaymentOut:
    payment, created = await service.create_job_payment(
        session=session,
        settings=settings,
        provider=provider,
        payer=user,
        job_id=job_id,
        idempotency_key=key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return payment_out(payment, user.id)


@router.get("/payments/mine")
async def my_payments(
    user: CurrentUser,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[PaymentOut]:
    items, next_cursor = await service.list_mine(
        session=session, payer=user, cursor=cursor, limit=limit
    )
    return Page(
        items=[payment_out(p, user.id) for p in items], next_cursor=next_cursor, limit=limit
    )


@router.get("/payments/{payment_id}")
async def get_payment(
    payment: VisiblePayment, user: CurrentUser, session: SessionDep
) -> PaymentDetail:
    events = await service.history(session=session, payment=payment)
    return payment_detail(payment, user.id, events)


@router.post("/payments/webhooks/{provider}", dependencies=[Depends(rate_limit("webhooks"))])
async def receive_webhook(
    request: Request,
    provider: WebhookProvider,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookAck:
    result = await webhooks.handle(
        session=session,
        settings=settings,
        provider=provider,
        headers=request.headers,
        query=request.query_params,
        body=await request.body(),
    )
    return WebhookAck(result=result)


@router.post("/payments/sandbox/checkout/{preference_id}")
async def sandbox_checkout(
    preference_id: Annotated[str, Path(max_length=128)],
    data: SandboxCheckoutIn,
    sandbox: Sandbox,
) -> SandboxCheckoutOut:
    """Development and tests only (FIXIA_PAYMENTS__SANDBOX_CHECKOUT): the payer plays
    finishing their own checkout; the sandbox then delivers its signed webhook to this app
    over HTTP. This request only read (its user and the payment), so the webhook's writes
    wait for nothing."""
    delivery = await sandbox.simulate_checkout(
        preference_id, outcome=PaymentStatus(data.outcome), amount=data.amount
    )
    return SandboxCheckoutOut(
        provider_payment_id=delivery.provider_payment_id, webhook_status=delivery.status_code
    )


@subscriptions_router.get("/plans")
async def list_plans(settings: SettingsDep) -> list[PlanOut]:
    return plans_out(settings)


@subscriptions_router.post("", status_code=status.HTTP_201_CREATED, responses=CREATED_OR_REPLAYED)
async def subscribe(
    data: SubscriptionIn,
    key: IdempotencyKey,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
    response: Response,
) -> SubscriptionOut:
    subscription, payment, created = await subscriptions.subscribe(
        session=session,
        settings=settings,
        provider=provider,
        user=user,
        plan=data.plan,
        idempotency_key=key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return subscription_out(subscription, payment)


@subscriptions_router.get("/me")
async def my_subscription(user: CurrentUser, session: SessionDep) -> SubscriptionOut:
    found = await subscriptions.for_me(session=session, user=user)
    return subscription_out(
        found, await subscriptions.payment_of(session=session, subscription=found)
    )


@subscriptions_router.delete("/me")
async def cancel_subscription(user: CurrentUser, session: SessionDep) -> SubscriptionOut:
    found = await subscriptions.cancel(session=session, user=user)
    return subscription_out(
        found, await subscriptions.payment_of(session=session, subscription=found)
    )


@subscriptions_router.put("/me/renewal")
async def enable_renewal(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, provider: ProviderDep
) -> RenewalOut:
    """Renew automatically through the provider's recurring agreement (docs/money.md)."""
    found, agreement = await renewals.enable(
        session=session, settings=settings, provider=provider, user=user
    )
    payment = await subscriptions.payment_of(session=session, subscription=found)
    return RenewalOut(
        subscription=subscription_out(found, payment), authorize_url=agreement.authorize_url
    )


@subscriptions_router.delete("/me/renewal")
async def disable_renewal(user: CurrentUser, session: SessionDep) -> SubscriptionOut:
    found = await renewals.disable(session=session, user=user)
    return subscription_out(
        found, await subscriptions.payment_of(session=session, subscription=found)
    )
