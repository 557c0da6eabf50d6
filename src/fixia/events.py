"""A tiny in-process domain-event hook. Metrics and the audit log subscribe here later,
so domain code announces what happened without knowing who listens."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


def emit(name: str, **data: Any) -> None:
    event = DomainEvent(name, data)
    for handler in [*_handlers.get(name, ()), *_handlers.get("*", ())]:
        try:
            handler(event)
        except Exception:
            # A broken listener (a metric, say) must never fail the business operation.
            log.exception("event handler failed for %s", name)
