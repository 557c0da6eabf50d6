"""The audit log: one call records a security event (who, from where, what, to which object).

Entries are append-only (a database trigger refuses UPDATE and DELETE). Everything the app
records goes through `record`; operations tooling that must not import fixia (fixiactl) uses
the CLI `fixia audit record ...` (audit/cli.py), which calls the same function.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from fixia.audit.models import AuditLog

# The event types. Admin actions keep their historical names (user.suspended, ...).
LOGIN_SUCCEEDED: Final = "auth.login_succeeded"
LOGIN_FAILED: Final = "auth.login_failed"
LOCKOUT: Final = "auth.lockout"
ROLE_CHANGED: Final = "user.role_changed"
USER_SUSPENDED: Final = "user.suspended"
USER_RESTORED: Final = "user.restored"
DISPUTE_RESOLVED: Final = "dispute.resolved"
REVIEW_HIDDEN: Final = "review.hidden"
REVIEW_RESTORED: Final = "review.restored"
CONTACT_REVEALED: Final = "contact.revealed"
PAYMENT_STATUS_CHANGED: Final = "payment.status_changed"
FLAG_CHANGED: Final = "flag.changed"
DEPLOY: Final = "deploy"
SECRET_ROTATED: Final = "secret.rotated"  # noqa: S105 (an event name)
# `fixiactl deploy --override-budget`: a deploy let through a spent error budget.
DEPLOY_BUDGET_OVERRIDE: Final = "deploy.budget_override"

# What `fixia audit record` accepts: events that happen outside the app.
EXTERNAL_ACTIONS: Final = frozenset({FLAG_CHANGED, DEPLOY, DEPLOY_BUDGET_OVERRIDE, SECRET_ROTATED})
MAX_DETAIL_CHARS: Final = 4000


# The client address of the request being served, so every entry carries it without each
# service function taking an `ip` argument. uvicorn's proxy_headers resolves it behind HAProxy.
_request_ip: ContextVar[str | None] = ContextVar("fixia_audit_ip", default=None)


class AuditContextMiddleware:
    """Makes the request's client IP available to `record` (pure ASGI: no buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        token = _request_ip.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _request_ip.reset(token)


def record(
    *,
    session: AsyncSession,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    ip: str | None = None,
    actor_name: str | None = None,
    **data: Any,
) -> AuditLog:
    ip = ip or _request_ip.get()
    entry = AuditLog(
        actor_id=actor_id,
        actor_name=actor_name[:128] if actor_name else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        data=data,
        ip=ip[:64] if ip else None,
    )
    session.add(entry)
    return entry
