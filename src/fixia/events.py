"""A tiny in-process domain-event hook. Metrics subscribe here, so domain code announces what
happened without knowing who listens.

Two kinds of announcement:
- `emit(session, ...)`: something changed. It is delivered once the session's transaction
  has committed, and never if it rolls back (the request's session and `transactional` both
  call `dispatch_committed`).
- `observe(...)`: an attempt was seen (a failed login, a refused signature). It is delivered at
  once, because the attempt happened whether or not anything is committed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("fixia.events")


@dataclass(frozen=True)
class DomainEvent:
    name: str
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> Callable[[], None]:
    """Register a handler; '*' receives every event. Returns an unsubscribe function."""
    _handlers[name].append(handler)
    return lambda: _handlers[name].remove(handler)


def emit(session: AsyncSession, name: str, **data: Any) -> None:
    """Announce a change, delivered after `session` commits."""
    session.info.setdefault("events", []).append(DomainEvent(name, data))


def dispatch_committed(session: AsyncSession) -> None:
    for event in session.info.pop("events", []):
        _deliver(event)


def observe(name: str, **data: Any) -> None:
    """Announce an attempt, delivered now."""
    _deliver(DomainEvent(name, data))


def _deliver(event: DomainEvent) -> None:
    name = event.name
    for handler in [*_handlers.get(name, ()), *_handlers.get("*", ())]:
        try:
            handler(event)
        except Exception:
            # A broken listener (a metric, say) must never fail the business operation.
            log.exception("event handler failed for %s", name)
