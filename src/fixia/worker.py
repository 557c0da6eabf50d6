"""`fixia worker`: the job queue's worker process, with health and metrics on loopback.

The health endpoint runs on the standard library's WSGI server in a thread: the worker's
event loop belongs to procrastinate, whose signal handlers must stay the only ones (uvicorn
would install its own), and the endpoint has to answer even when that loop is stuck.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from fixia.catalog.invalidation import CACHE_KEY, SESSIONS_KEY
from fixia.config import Settings
from fixia.db import create_engine, session_factory
from fixia.money.settlement import money_books
from fixia.observability import business
from fixia.payments.settlement import BOOKS_KEY
from fixia.platform.cache import build_cache
from fixia.platform.email import build_email_sender
from fixia.queue.core import Runtime, queue_dsn
from fixia.queue.defer import QUEUE_KEY
from fixia.queue.runner import JobQueue
from fixia.queue.stats import QueueCollector
from fixia.streams.broker import broker_for
from fixia.streams.store import BROKER_KEY
from fixia.tasks import all_tasks

# The loop ticks every second; silent for this long, it is stuck.
STUCK_AFTER_S = 15.0


def build_queue(settings: Settings, *, periodic: bool) -> tuple[JobQueue, AsyncEngine]:
    """The queue and the runtime its tasks get, for a process that has no app."""
    engine = create_engine(settings)
    cache = build_cache(settings.redis_url)
    queue = JobQueue(settings, all_tasks(), periodic=periodic)
    # Events stored by tasks (notifications) reach open streams after the task's commit.
    info: dict[str, object] = {
        CACHE_KEY: cache, QUEUE_KEY: queue, BROKER_KEY: broker_for(settings),
        BOOKS_KEY: money_books(),
    }  # fmt: skip
    sessions = session_factory(engine, info=info)
    info[SESSIONS_KEY] = sessions
    queue.bind(Runtime(settings, sessions, build_email_sender(settings.email), cache))
    return queue, engine


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the worker's own log."""


def health_app(
    registry: CollectorRegistry, beat: Callable[[], float]
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(registry)]
        if path == "/healthz":
            alive = time.monotonic() - beat() < STUCK_AFTER_S
            start(
                "200 OK" if alive else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if alive else b"event loop stuck\n"]
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


def start_health_server(settings: Settings, beat: Callable[[], float]) -> WSGIServer:
    # The worker is one process: the default registry holds its job counters; the queue's
    # gauges join them.
    REGISTRY.register(QueueCollector(queue_dsn(settings)))
    server = make_server(
        "127.0.0.1",
        settings.queue.health_port,
        health_app(REGISTRY, beat),
        handler_class=_Quiet,
    )
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


async def run_worker(settings: Settings, *, name: str) -> None:
    queue, engine = build_queue(settings, periodic=True)
    # Jobs announce business events too (reconciliation mismatches, payouts, refunds): their
    # counters live in this process's registry, which the worker's /metrics serves.
    business.subscribe_all()
    last_beat = time.monotonic()

    async def heartbeat() -> None:
        nonlocal last_beat
        while True:
            last_beat = time.monotonic()
            await asyncio.sleep(1)

    ticker = asyncio.create_task(heartbeat())
    server = (
        start_health_server(settings, lambda: last_beat) if settings.queue.health_port else None
    )
    try:
        await queue.run(name=name, install_signal_handlers=True)
    finally:
        ticker.cancel()
        if server is not None:
            server.shutdown()
        await queue.close()
        await engine.dispose()
