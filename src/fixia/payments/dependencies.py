from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from fixia.deps import CurrentUser, SessionDep, SettingsDep
from fixia.payments import service
from fixia.payments.exceptions import SandboxDisabled, UnknownProvider
from fixia.payments.models import Payment
from fixia.payments.providers import PaymentProvider, SandboxProvider, build_provider


async def get_provider(request: Request, settings: SettingsDep) -> PaymentProvider:
    """One provider per app, so its circuit breaker sees every request of this process.
    Built on first use; tests may set app.state.payment_provider beforehand to inject one."""
    provider: PaymentProvider | None = getattr(request.app.state, "payment_provider", None)
    if provider is None:
        provider = build_provider(settings)
        request.app.state.payment_provider = provider
    return provider


ProviderDep = Annotated[PaymentProvider, Depends(get_provider)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="A unique key per checkout; repeating it returns the same payment.",
    ),
]


async def webhook_provider(provider: str, configured: ProviderDep) -> PaymentProvider:
    if provider != configured.name:
        raise UnknownProvider()
    return configured


async def sandbox_provider(configured: ProviderDep, settings: SettingsDep) -> SandboxProvider:
    # The simulated checkout lets anyone "pay": it must not exist in production at all.
    if settings.env == "production" or not isinstance(configured, SandboxProvider):
        raise SandboxDisabled()
    return configured


async def visible_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Payment:
    return await service.get_visible(session=session, user=user, payment_id=payment_id)


WebhookProvider = Annotated[PaymentProvider, Depends(webhook_provider)]
Sandbox = Annotated[SandboxProvider, Depends(sandbox_provider)]
VisiblePayment = Annotated[Payment, Depends(visible_payment)]
