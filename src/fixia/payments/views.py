"""Subscription purchase in the browser, paid through the configured provider's checkout.

With the sandbox provider (development and tests) the checkout is our own page that plays the
payer; the sandbox then delivers its signed webhook to the app, exactly like the API flow.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fixia.accounts.models import User
from fixia.accounts.web_session import Professional, SignedIn
from fixia.deps import SessionDep, SettingsDep
from fixia.payments import renewals, service, subscriptions
from fixia.payments.dependencies import EnabledSandbox, PreferenceId, ProviderDep, payer_sandbox
from fixia.payments.exceptions import PaymentNotFound, SubscriptionNotFound
from fixia.payments.models import PaymentStatus
from fixia.payments.presenters import plans_out, subscription_out
from fixia.payments.providers import SandboxProvider
from fixia.web.pages import form_data, redirect, render

router = APIRouter()


@router.get("/subscription")
async def subscription_page(
    request: Request, user: Professional, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        found = await subscriptions.for_me(session=session, user=user)
        mine = subscription_out(
            found, await subscriptions.payment_of(session=session, subscription=found)
        )
    except SubscriptionNotFound:
        mine = None
    context = {
        "plans": [p for p in plans_out(settings) if p.name != "free"],
        "mine": mine,
        # One key per rendered form: a double click replays instead of paying twice.
        "idempotency_key": str(uuid.uuid4()),
    }
    return render(request, "payments/subscription.html", context)


@router.post("/subscription")
async def subscribe(
    request: Request,
    user: Professional,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
) -> Response:
    data = await form_data(request)
    _, payment, _ = await subscriptions.subscribe(
        session=session,
        settings=settings,
        provider=provider,
        user=user,
        plan=str(data.get("plan", "")),
        idempotency_key=str(data.get("idempotency_key", ""))[:64] or str(uuid.uuid4()),
    )
    # The sandbox's checkout is ours (its API URL under public_url): play it on the web page.
    if payment.checkout_url and not payment.checkout_url.startswith(settings.public_url):
        return redirect(request, payment.checkout_url)
    return redirect(request, f"/checkout/sandbox/{payment.provider_preference_id}")


@router.post("/subscription/renewal")
async def renewal(
    request: Request,
    user: Professional,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderDep,
) -> Response:
    """Switch automatic renewal on (the payer authorises the agreement at the provider) or
    off (the agreement is cancelled by a job after the commit)."""
    data = await form_data(request)
    if data.get("renew") == "on":
        _, agreement = await renewals.enable(
            session=session, settings=settings, provider=provider, user=user
        )
        return redirect(request, agreement.authorize_url)
    await renewals.disable(session=session, user=user)
    return redirect(request, "/subscription")


async def _web_sandbox(
    sandbox: EnabledSandbox, session: SessionDep, user: SignedIn, preference_id: PreferenceId
) -> SandboxProvider:
    return await payer_sandbox(
        sandbox=sandbox, session=session, payer=user, preference_id=preference_id
    )


WebSandbox = Annotated[SandboxProvider, Depends(_web_sandbox)]


@router.get("/checkout/sandbox/{preference_id}")
async def sandbox_checkout_page(
    request: Request, preference_id: PreferenceId, sandbox: WebSandbox
) -> Response:
    context = {
        "preference_id": preference_id,
        "next": _local_next(request.query_params.get("next")),
    }
    return render(request, "payments/sandbox.html", context)


@router.post("/checkout/sandbox/{preference_id}")
async def sandbox_checkout(
    request: Request, preference_id: PreferenceId, sandbox: WebSandbox
) -> Response:
    """The webhook it triggers writes while this waits: this request only read (its user and
    the payment), so it blocks nothing."""
    data = await form_data(request)
    approved = data.get("outcome") == "approved"
    outcome = PaymentStatus.approved if approved else PaymentStatus.rejected
    await sandbox.simulate_checkout(preference_id, outcome=outcome, amount=None)
    back = _local_next(str(data.get("next") or "")) or "/subscription"
    return redirect(request, back, ok="subscribed" if approved else "payment_rejected")


def _local_next(value: str | None) -> str | None:
    """Only a page of ours (a job's milestones): never an open redirect."""
    if value and value.startswith("/jobs/") and "//" not in value and "\\" not in value:
        return value[:200]
    return None


@router.get("/payments/{payment_id}/receipt")
async def receipt(
    request: Request, payment_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    """A receipt in Spanish for a payment that took money (approved, or later refunded), for
    its payer and, for a job, its professional; to anyone else it does not exist."""
    payment = await service.get_visible(session=session, user=user, payment_id=payment_id)
    if payment.status not in (PaymentStatus.approved, PaymentStatus.refunded):
        raise PaymentNotFound("There is no receipt for a payment that was not made.")
    payer = await session.get(User, payment.payer_id)
    context = {"payment": payment, "payer": payer, "is_payer": payment.payer_id == user.id}
    return render(request, "payments/receipt.html", context)
