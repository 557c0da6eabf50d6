"""A cheap Server-Sent Events client for thousands of streams in one process (asyncio).

Raw HTTP/1.1 on asyncio streams, not an HTTP library: a stream is one socket, one task and a
few small objects, so 2,000 of them fit on the 2-core box next to the stack they measure.
Like a browser's EventSource, a stream reconnects when it ends, sending Last-Event-ID, and
counts what it receives: `message` events by message id (to prove exactly-once delivery),
connections, and how long each reconnection took.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

PATH = "/api/v1/stream"
# As EventSource: after a break, wait the server's last `retry:` (the app sends 2000 ms on
# open, and a random longer one when its slot stops), then reconnect.
RETRY_MS = 2000


@dataclass
class Stream:
    user_id: str
    token: str
    last_id: int | None = None
    connections: int = 0
    failed_connects: int = 0
    # Message id -> times received, only those addressed to this user (not its own echoes).
    received: Counter[str] = field(default_factory=Counter)
    # Message id -> time.monotonic() of its receipt (first time).
    arrived: dict[str, float] = field(default_factory=dict)
    reconnect_s: list[float] = field(default_factory=list)
    retry_ms: int = RETRY_MS
    connected: bool = False
    broke_at: float | None = None
    _writer: asyncio.StreamWriter | None = field(default=None, repr=False)

    def _request(self, host: str) -> bytes:
        lines = [
            f"GET {PATH} HTTP/1.1",
            f"Host: {host}",
            f"Authorization: Bearer {self.token}",
            "Accept: text/event-stream",
            "Cache-Control: no-cache",
        ]
        if self.last_id is not None:
            lines.append(f"Last-Event-ID: {self.last_id}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _dispatch(self, block: str) -> None:
        event, data, seq = "message", "", None
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "retry" and value.isdigit():
                self.retry_ms = int(value)
            elif name == "id":
                seq = int(value)
            elif name == "event":
                event = value
            elif name == "data":
                data += value
        if seq is not None:
            self.last_id = seq
        if event == "message" and data:
            payload: dict[str, Any] = json.loads(data)
            if payload.get("sender_id") != self.user_id:
                message_id = str(payload["id"])
                self.received[message_id] += 1
                self.arrived.setdefault(message_id, time.monotonic())

    async def _body(self, reader: asyncio.StreamReader, chunked: bool) -> None:
        buffer = ""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return
                chunk = await reader.readexactly(size + 2)
                text = chunk[:-2].decode()
            else:
                raw = await reader.read(65536)
                if not raw:
                    return
                text = raw.decode()
            buffer += text.replace("\r\n", "\n")
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                self._dispatch(block)

    async def _connect(self, host: str, port: int) -> tuple[asyncio.StreamReader, bool] | None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self._writer = writer
        writer.write(self._request(f"{host}:{port}"))
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        if not head.startswith("http/1.1 200"):
            writer.close()
            return None
        return reader, "transfer-encoding: chunked" in head

    async def _once(self, port: int) -> None:
        opened = await self._connect("127.0.0.1", port)
        if opened is None:
            self.failed_connects += 1
            return
        self.connections += 1
        self.connected = True
        if self.broke_at is not None:
            self.reconnect_s.append(time.monotonic() - self.broke_at)
            self.broke_at = None
        await self._body(*opened)

    async def run(self, port: int, stop: asyncio.Event) -> None:
        """Until `stop`: connect, read, reconnect (with Last-Event-ID) when it ends."""
        while not stop.is_set():
            try:
                await self._once(port)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                if not self.connected:
                    self.failed_connects += 1
            finally:
                if self.connected:
                    self.broke_at = time.monotonic()
                self.connected = False
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
            if not stop.is_set():
                await asyncio.sleep(self.retry_ms / 1000)


@dataclass
class Streams:
    """Many streams to one HAProxy or slot port, run as tasks of the current loop."""

    port: int
    streams: list[Stream]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def open(self, timeout_s: float, per_second: int = 400) -> None:
        """Open every stream (paced: a burst of thousands would queue in the backlog) and
        wait until all are connected, or fail after timeout_s."""
        for n, stream in enumerate(self.streams):
            self.tasks.append(asyncio.create_task(stream.run(self.port, self.stop)))
            if n % per_second == per_second - 1:
                await asyncio.sleep(1)
        await self.wait_connected(timeout_s)

    async def wait_connected(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(s.connected for s in self.streams):
                return
            await asyncio.sleep(0.1)
        down = sum(not s.connected for s in self.streams)
        raise TimeoutError(f"{down} of {len(self.streams)} streams not connected")

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
