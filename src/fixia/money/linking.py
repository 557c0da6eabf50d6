"""Linking a professional's payout account through the provider's OAuth consent."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.money import exceptions as exc
from fixia.money import payouts, service
from fixia.money.models import PayoutAccount
from fixia.payments.providers import PaymentProvider

CALLBACK_PATH = "/payouts/linked"


def state_for(settings: Settings, user: User) -> str:
    """Binds the OAuth round trip to this user: a code obtained by someone else (login CSRF
    of the payout account) does not verify for them."""
    key = settings.payments.webhook_secret.get_secret_value().encode()
    return hmac.new(key, f"payout-link|{user.id}".encode(), hashlib.sha256).hexdigest()[:32]


def check_state(settings: Settings, user: User, state: str) -> None:
    if not hmac.compare_digest(state_for(settings, user).encode(), state.encode()):
        raise exc.LinkStateMismatch()


def redirect_uri(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + CALLBACK_PATH


def consent_url(settings: Settings, provider: PaymentProvider, user: User) -> str:
    """Where the professional authorises payouts to their account at the provider."""
    return provider.link_url(state=state_for(settings, user), redirect_uri=redirect_uri(settings))


async def complete(
    *,
    session: AsyncSession,
    settings: Settings,
    provider: PaymentProvider,
    user: User,
    code: str,
    state: str,
) -> PayoutAccount:
    """The provider sent the professional back with a code: exchange it and link the account.
    The exchange happens before anything is written, so no row lock is held across it."""
    check_state(settings, user, state)
    linked = await provider.link_account(code=code, redirect_uri=redirect_uri(settings))
    account = await payouts.link(
        session, user_id=user.id, provider=provider.name, account_id=linked.account_id
    )
    # Money released before the account existed waits as payable: send it now.
    await service.schedule_payout(session, user.id)
    return account
