"""A user's subscription plan as the quotas read it (projects, proposals, media)."""

from __future__ import annotations

from fixia.accounts.models import User
from fixia.db import utcnow


def current_plan(user: User) -> str:
    expired = user.plan_expires_at is not None and user.plan_expires_at <= utcnow()
    return "free" if expired else user.plan
