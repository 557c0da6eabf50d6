"""Linking a professional's payout account through the provider's OAuth consent."""

from __future__ import annotations

import hashlib
import hmac

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.money import exceptions as exc

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
