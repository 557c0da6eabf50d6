"""A real Redis for the broker's conformance test, and a real uvicorn for SSE over HTTP
(httpx's ASGI transport waits for the whole body, which a stream never finishes)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from fixia.config import Settings, StreamSettings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender


@pytest.fixture
def stream_settings(settings: Settings) -> Settings:
    # Short heartbeats and a small queue, so the tests see both without waiting.
    return settings.model_copy(
        update={"streams": StreamSettings(heartbeat_s=0.3, queue_size=4, replay_batch=3)}
    )


@pytest.fixture
def app(stream_settings: Settings) -> FastAPI:
    return create_app(
        stream_settings,
        mailer=OutboxEmailSender(stream_settings.email.outbox_dir, "t@fixia"),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def live_url(app: FastAPI) -> AsyncIterator[str]:
    """The app served by uvicorn on loopback, in this event loop."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    app.state.broker.close_streams()
    server.should_exit = True
    await asyncio.wait_for(task, 15)
    await app.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
