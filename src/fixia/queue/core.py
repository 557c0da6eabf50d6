"""The procrastinate app, its connector, and the runtime tasks receive."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import procrastinate
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from procrastinate.testing import InMemoryConnector
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixia.config import QueueSettings, Settings
from fixia.observability import metrics as m
from fixia.platform.cache import Cache
from fixia.platform.email import EmailSender

RUNTIME_KEY = "runtime"
log = logging.getLogger("fixia.queue")
# procrastinate logs every job with its arguments (e-mail addresses, message bodies) at INFO:
# the "job done" and "job failed" lines of `_instrumented` below say the same without them.
logging.getLogger("procrastinate").setLevel(logging.WARNING)
QUEUE = "default"


@dataclass(frozen=True)
class Runtime:
    """What a task needs from the process it runs in: the worker's or, in process, the app's."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    mailer: EmailSender
    cache: Cache


@dataclass(frozen=True)
class TaskSpec:
    """A task as a domain declares it; `build_app` binds it to a fresh procrastinate app, so
    tests can build many apps and crons can come from settings (time compressed in tests)."""

    name: str
    func: Callable[..., Awaitable[Any]]
    cron: Callable[[QueueSettings], str] | None = None
    retry: bool = True


def queue_dsn(settings: Settings) -> str:
    """libpq URL for psycopg. The worker listens for NOTIFY, which PgBouncer's transaction
    pooling cannot carry, so the stack points FIXIA_QUEUE__DATABASE_URL at PostgreSQL."""
    url = settings.queue.database_url or settings.db.url
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _connector(settings: Settings) -> procrastinate.BaseConnector:
    if settings.is_sqlite:
        # The embedded default has no PostgreSQL: procrastinate's in-memory job store runs
        # the same tasks in process. Jobs there live as long as the process (make run only).
        return InMemoryConnector()
    return procrastinate.PsycopgConnector(
        conninfo=queue_dsn(settings),
        min_size=1,
        max_size=settings.queue.pool_size,
        kwargs={"application_name": f"fixia-worker-{settings.release}"},
    )


def _instrumented(spec: TaskSpec) -> Callable[..., Awaitable[Any]]:
    """The job's span joins the trace of the request that deferred it; outcomes are counted."""
    tracer = trace.get_tracer("fixia.queue")

    async def run(context: procrastinate.JobContext, trace: Any = None, **kwargs: Any) -> Any:
        parent = propagate.extract(trace if isinstance(trace, dict) else {})
        job = context.job
        started = time.perf_counter()
        with tracer.start_as_current_span(
            f"job {spec.name}", context=parent, kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.message.id", str(job.id))
            try:
                result = await spec.func(context, **kwargs)
            except BaseException as error:
                m.QUEUE_JOBS.labels(spec.name, "failed").inc()
                log.warning(
                    "job failed: %s #%s attempt %s: %s",
                    spec.name, job.id, job.attempts + 1, type(error).__name__,
                )  # fmt: skip
                raise
        m.QUEUE_JOBS.labels(spec.name, "succeeded").inc()
        log.info(
            "job done: %s #%s attempt %s in %.3f s",
            spec.name, job.id, job.attempts + 1, time.perf_counter() - started,
        )  # fmt: skip
        return result

    return run


def build_app(
    settings: Settings, specs: list[TaskSpec], *, periodic: bool = True
) -> procrastinate.App:
    q = settings.queue
    app = procrastinate.App(connector=_connector(settings))
    retry = procrastinate.RetryStrategy(
        max_attempts=q.max_attempts, exponential_wait=q.backoff_base_s
    )
    for spec in specs:
        task = app.task(
            name=spec.name, queue=QUEUE, pass_context=True, retry=retry if spec.retry else False
        )(_instrumented(spec))
        if periodic and spec.cron is not None:
            # The periodic defer is unique per (task, timestamp) in PostgreSQL: two workers
            # defer each period once. The queueing lock keeps a slow run from piling up.
            app.periodic(cron=spec.cron(q), periodic_id=spec.name, queueing_lock=spec.name)(task)
    return app


def runtime_of(context: procrastinate.JobContext) -> Runtime:
    runtime: Any = (context.additional_context or {}).get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("task run without a fixia Runtime in its context")
    return runtime
