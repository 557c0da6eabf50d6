"""A small SSE reader for tests: frames as dicts, with a bounded wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    event: str = "message"
    id: str | None = None
    data: Any = None
    comment: bool = False


@dataclass
class Reader:
    lines: AsyncIterator[str]
    frames: list[Frame] = field(default_factory=list)

    async def _one(self) -> Frame:
        frame, data = Frame(), []
        async for line in self.lines:
            if line == "":
                if data or frame.comment or frame.id:
                    frame.data = json.loads("\n".join(data)) if data else None
                    return frame
                continue
            if line.startswith(":"):
                frame.comment = True
            elif line.startswith("retry:"):
                continue
            else:
                key, _, value = line.partition(": ")
                if key == "data":
                    data.append(value)
                elif key == "id":
                    frame.id = value
                elif key == "event":
                    frame.event = value
        raise EOFError("stream ended")

    async def next_frame(self) -> Frame:
        """The next frame, heartbeats included, with no wait bound of its own."""
        return await self._one()

    async def until(self, done: Callable[[list[Frame]], bool]) -> list[Frame]:
        """Read frames (heartbeats excluded) until `done(frames)`, for at most 10 s."""
        async with asyncio.timeout(10):
            while not done(self.frames):
                frame = await self._one()
                if not frame.comment:
                    self.frames.append(frame)
        return self.frames

    async def heartbeat(self) -> None:
        async with asyncio.timeout(5):
            while not (await self._one()).comment:
                pass


@asynccontextmanager
async def open_stream(
    base: str, headers: dict[str, str], last_event_id: str | None = None
) -> AsyncIterator[Reader]:
    extra = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=30)) as http,
        http.stream("GET", "/api/v1/stream", headers={**headers, **extra}) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Reader(response.aiter_lines())


def events(frames: list[Frame], kind: str) -> list[Frame]:
    return [f for f in frames if f.event == kind]
