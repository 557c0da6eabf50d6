"""A bounded, paced load generator through HAProxy (loopback only): counts every failure.

Open-loop pacing at `rps` with a cap on concurrent requests; bounded both in requests and in
seconds. A failure is a 5xx answer or any connection/protocol error.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import httpx

PATHS = ("/api/v1/categories", "/api/v1/services?q=plomero", "/api/v1/services")


@dataclass
class LoadResult:
    sent: int = 0
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_failure_at: float | None = None
    duration_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.sent / self.duration_s if self.duration_s else 0.0


class Load:
    """Runs in a background thread with its own event loop until stop() or its bounds."""

    def __init__(
        self, base: str, rps: int = 160, max_requests: int = 60_000, max_s: float = 300.0
    ) -> None:
        assert base.startswith("http://127.0.0.1:"), "load only ever goes to loopback"
        self.base, self.rps, self.max_requests, self.max_s = base, rps, max_requests, max_s
        self.result = LoadResult()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> LoadResult:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.result

    async def _one(self, client: httpx.AsyncClient, path: str) -> None:
        r = self.result
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            r.failed += 1
            r.errors[type(exc).__name__] = r.errors.get(type(exc).__name__, 0) + 1
            r.first_failure_at = r.first_failure_at or time.time()
            return
        r.statuses[response.status_code] = r.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            r.failed += 1
            r.first_failure_at = r.first_failure_at or time.time()
        else:
            r.ok += 1

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        start = time.monotonic()
        interval = 1 / self.rps
        pending: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(base_url=self.base, timeout=20, limits=limits) as client:
            while (
                not self._stop.is_set()
                and self.result.sent < self.max_requests
                and time.monotonic() - start < self.max_s
            ):
                due = start + self.result.sent * interval
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                path = PATHS[self.result.sent % len(PATHS)]
                self.result.sent += 1
                task = asyncio.create_task(self._one(client, path))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.wait(pending, timeout=30)
        self.result.duration_s = time.monotonic() - start
