"""Deferring a job as part of the caller's unit of work.

On PostgreSQL the job row is inserted by the session's own transaction, through
procrastinate's versioned SQL function (the one its connectors call): it commits or rolls
back with the business change, so a job exists exactly when the change does, even if the
process dies right after the commit. asyncpg cannot pass procrastinate's composite array
parameter, hence the ROW constructor here instead of `JobManager.defer_job_async`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from opentelemetry import propagate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.db import after_commit, utcnow
from fixia.queue.core import QUEUE

QUEUE_KEY = "queue"
TRACE_ARG = "trace"

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, "
    "NULL, CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])) AS id"
)


class ProcessQueue(Protocol):
    """The process's queue (fixia.queue.runner.JobQueue), found in `Session.info`."""

    async def defer_now(
        self, task: str, args: dict[str, Any], *, lock: str | None, scheduled_at: datetime | None
    ) -> None: ...

    async def committed(self) -> None: ...

    @property
    def eager(self) -> bool: ...


def trace_carrier() -> dict[str, str]:
    """The caller's trace context (W3C traceparent), so the job's span joins the request's."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


async def defer(
    session: AsyncSession,
    task: str,
    *,
    lock: str | None = None,
    delay_s: float | None = None,
    priority: int = 0,
    **kwargs: Any,
) -> None:
    """Queue `task` (its registered name, e.g. "email.send") with JSON-able kwargs once this
    session commits. `lock` serialises jobs that touch the same thing."""
    args = {**kwargs, TRACE_ARG: trace_carrier()}
    scheduled_at = utcnow() + timedelta(seconds=delay_s) if delay_s else None
    queue: ProcessQueue | None = session.info.get(QUEUE_KEY)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            _DEFER,
            {
                "queue": QUEUE,
                "task": task,
                "priority": priority,
                "lock": lock,
                "args": json.dumps(args),
                "scheduled_at": scheduled_at,
            },
        )
        if queue is not None and queue.eager:  # tests: run it once committed
            after_commit(session, queue.committed)
        return
    if queue is None:
        raise RuntimeError("this session has no job queue: build it with session_factory(info=)")

    async def hand_over() -> None:
        await queue.defer_now(task, args, lock=lock, scheduled_at=scheduled_at)

    after_commit(session, hand_over)
