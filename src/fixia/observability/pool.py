"""Database pool gauges, updated on pool events and refreshed at scrape.

Each worker process has its own pool; every worker sets its own (livesum) gauge values, so
the slot's `/metrics` adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from fixia.observability import metrics as m


def _count(pool: Any, method: str) -> int:
    fn = getattr(pool, method, None)
    try:
        return int(fn()) if callable(fn) else 0
    except (TypeError, ValueError, NotImplementedError):
        return 0


def publish(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    m.DB_POOL_CONNECTIONS.labels("in_use").set(_count(pool, "checkedout"))
    m.DB_POOL_CONNECTIONS.labels("idle").set(_count(pool, "checkedin"))
    m.DB_POOL_SIZE.set(_count(pool, "size"))


def watch(engine: AsyncEngine) -> None:
    def on_event(*_args: Any) -> None:
        publish(engine)

    # checkout/checkin fire when the pool lends and takes back a connection; connect and
    # close when it grows and shrinks. Listeners run in the event loop's thread: cheap sets.
    for name in ("checkout", "checkin", "connect", "close"):
        event.listen(engine.sync_engine.pool, name, on_event)
    publish(engine)
