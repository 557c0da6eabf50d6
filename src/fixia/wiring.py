"""Sessions wired as a request's are (the job queue, the cache, the stream broker and the
books payments post to, in `Session.info`), for one-shot commands that change data outside
the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fixia.catalog.invalidation import CACHE_KEY, SESSIONS_KEY
from fixia.config import Settings
from fixia.db import create_engine, session_factory
from fixia.money.settlement import money_books
from fixia.payments.settlement import BOOKS_KEY
from fixia.platform.cache import Cache, build_cache
from fixia.platform.email import build_email_sender
from fixia.queue.core import Runtime
from fixia.queue.defer import QUEUE_KEY
from fixia.queue.runner import JobQueue
from fixia.streams.broker import Broker, broker_for
from fixia.streams.store import BROKER_KEY
from fixia.tasks import all_tasks


def wired_sessions(
    engine: AsyncEngine, cache: Cache, queue: JobQueue, broker: Broker
) -> async_sessionmaker[AsyncSession]:
    """The session factory a request and a one-shot command both use: after-commit work
    (jobs, cache invalidation, stream pushes) finds the process's systems in `Session.info`,
    and post-commit invalidation reads with a session of its own."""
    info: dict[str, Any] = {
        CACHE_KEY: cache, QUEUE_KEY: queue, BROKER_KEY: broker, BOOKS_KEY: money_books()
    }  # fmt: skip
    sessions = info[SESSIONS_KEY] = session_factory(engine, info=info)
    return sessions


@asynccontextmanager
async def one_shot_sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """On PostgreSQL a deferred job is a row the workers run; on the embedded database the
    queue lives in this process only, so the jobs the command queued run before it exits."""
    engine = create_engine(settings)
    cache = build_cache(settings.redis_url)
    queue = JobQueue(settings, all_tasks(), periodic=False)
    broker = broker_for(settings)
    sessions = wired_sessions(engine, cache, queue, broker)
    queue.bind(Runtime(settings, sessions, build_email_sender(settings.email), cache))
    try:
        yield sessions
        if settings.is_sqlite:
            await queue.drain()
    finally:
        await queue.close()
        await broker.close()
        await engine.dispose()
