"""One JobQueue per process: the procrastinate app bound to that process's runtime."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import datetime
from typing import Any

from fixia.config import Settings
from fixia.queue.core import QUEUE, RUNTIME_KEY, Runtime, TaskSpec, build_app

log = logging.getLogger("fixia.queue")
# Set while this task (and the jobs it runs) drains the queue in process.
_DRAINING: contextvars.ContextVar[bool] = contextvars.ContextVar("draining", default=False)


class JobQueue:
    """In the web app it hands SQLite's jobs to the in-process worker after commit, and in
    tests (`queue.eager`) runs every committed job before the response; the `fixia worker`
    process uses it to run the PostgreSQL queue."""

    def __init__(self, settings: Settings, specs: list[TaskSpec], *, periodic: bool) -> None:
        self.settings = settings
        self.app = build_app(settings, specs, periodic=periodic)
        self.runtime: Runtime | None = None
        self._opened = False
        self._drain_lock = asyncio.Lock()

    def bind(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def context(self) -> dict[str, Any]:
        return {RUNTIME_KEY: self.runtime}

    async def open(self) -> None:
        if not self._opened:
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        if self._opened:
            await self.app.close_async()
            self._opened = False

    async def defer_now(
        self, task: str, args: dict[str, Any], *, lock: str | None, scheduled_at: datetime | None
    ) -> None:
        await self.open()
        deferrer = self.app.configure_task(task, queue=QUEUE, lock=lock, schedule_at=scheduled_at)
        await deferrer.defer_async(**args)
        await self.committed()

    @property
    def eager(self) -> bool:
        return self.settings.queue.eager

    async def committed(self) -> None:
        """After a commit that deferred jobs: in eager mode, run them now."""
        if self.eager:
            await self.drain()

    async def drain(self) -> None:
        """Run every job that is due, then return (procrastinate's worker with wait=False).
        A job that defers another one is inside a drain already: that drain's next fetch
        runs it, and waiting for the lock here would wait for ourselves."""
        if _DRAINING.get():
            return
        await self.open()
        async with self._drain_lock:
            token = _DRAINING.set(True)
            try:
                await self._drain_once()
            finally:
                _DRAINING.reset(token)

    async def _drain_once(self) -> None:
        await self.app.run_worker_async(
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            additional_context=self.context,
            update_heartbeat_interval=self.settings.queue.heartbeat_s,
        )

    async def run(self, *, name: str, install_signal_handlers: bool) -> None:
        """Work until stopped: SIGTERM lets the running jobs finish within the grace period;
        a job still running then is aborted and retried by the next worker."""
        q = self.settings.queue
        await self.open()
        await self.app.run_worker_async(
            name=name,
            concurrency=q.concurrency,
            install_signal_handlers=install_signal_handlers,
            listen_notify=not self.settings.is_sqlite,
            fetch_job_polling_interval=q.poll_interval_s,
            shutdown_graceful_timeout=q.shutdown_grace_s,
            update_heartbeat_interval=q.heartbeat_s,
            stalled_worker_timeout=q.stalled_after_s,
            additional_context=self.context,
        )
