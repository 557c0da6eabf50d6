"""The SSE response of one authenticated user (the API's and the web's routes use it)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse

from fixia.config import Settings
from fixia.streams.broker import Broker
from fixia.streams.sse import StreamLimits, event_stream, parse_last_event_id

HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    # No proxy may buffer the stream (nginx honours this; HAProxy does not buffer).
    "X-Accel-Buffering": "no",
}


def opening_gate(app: FastAPI) -> asyncio.Semaphore:
    """The process's bound on streams starting at once (streams.open_concurrency)."""
    gate: asyncio.Semaphore | None = getattr(app.state, "stream_opening", None)
    if gate is None:
        gate = asyncio.Semaphore(app.state.settings.streams.open_concurrency)
        app.state.stream_opening = gate
    return gate


async def _admit(request: Request) -> AsyncIterator[None]:
    """Held while the stream's request authenticates (a database read): declared before
    the user, so hundreds of streams reconnecting at once queue here, cheaply, instead of
    taking every pooled connection from requests and /readyz (which then timed out and
    HAProxy took the slot out)."""
    async with opening_gate(request.app):
        yield


StreamAdmission = Annotated[None, Depends(_admit, scope="function")]


def limits_of(settings: Settings) -> StreamLimits:
    s = settings.streams
    return StreamLimits(
        heartbeat_s=s.heartbeat_s,
        max_age_s=s.max_age_s,
        replay_batch=s.replay_batch,
        closing_spread_ms=s.closing_spread_ms,
    )


def stream_response(
    request: Request,
    user_id: uuid.UUID,
    hello: Callable[[], Awaitable[list[str]]] | None = None,
) -> StreamingResponse:
    """EventSource sends Last-Event-ID when it reconnects; a page passes `last_event_id`
    in the query when it opens a fresh EventSource where an earlier one stopped."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    broker: Broker = request.app.state.broker
    body = event_stream(
        sessions=request.app.state.sessions,
        broker=broker,
        user_id=user_id,
        last_event_id=parse_last_event_id(raw),
        limits=limits_of(request.app.state.settings),
        hello=hello,
        opening=opening_gate(request.app),
    )
    return StreamingResponse(body, media_type="text/event-stream", headers=HEADERS)
