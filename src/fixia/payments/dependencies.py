from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.dependencies import CurrentUser
from fixia.accounts.models import User
from fixia.deps import SessionDep, SettingsDep
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


PreferenceId = Annotated[str, Path(max_length=128)]


async def enabled_sandbox(configured: ProviderDep, settings: SettingsDep) -> SandboxProvider:
    """The simulated checkout exists only where it is switched on, never in production: first,
    so a disabled sandbox is a 404 whoever asks."""
    on = settings.payments.sandbox_checkout and settings.env != "production"
    if not on or not isinstance(configured, SandboxProvider):
        raise SandboxDisabled()
    return configured


EnabledSandbox = Annotated[SandboxProvider, Depends(enabled_sandbox)]


async def payer_sandbox(
    *, sandbox: SandboxProvider, session: AsyncSession, payer: User, preference_id: str
) -> SandboxProvider:
    """Only the payer of that checkout plays it: nobody else can approve a payment."""
    await service.own_preference(session=session, payer=payer, preference_id=preference_id)
    return sandbox


async def sandbox_provider(
    sandbox: EnabledSandbox, session: SessionDep, user: CurrentUser, preference_id: PreferenceId
) -> SandboxProvider:
    return await payer_sandbox(
        sandbox=sandbox, session=session, payer=user, preference_id=preference_id
    )


async def visible_payment(payment_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Payment:
    return await service.get_visible(session=session, user=user, payment_id=payment_id)


WebhookProvider = Annotated[PaymentProvider, Depends(webhook_provider)]
Sandbox = Annotated[SandboxProvider, Depends(sandbox_provider)]
VisiblePayment = Annotated[Payment, Depends(visible_payment)]
