"""Messages and notifications on the SSE stream over real HTTP: authenticated, live, with
heartbeats, and resumed with Last-Event-ID with no event lost and none repeated."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import register
from tests.factories.conversations import open_conversation, send
from tests.factories.projects import API, apply, post_project
from tests.functional.streams.sse import events, open_stream

pytestmark = pytest.mark.inprocess


async def _pair(client: httpx.AsyncClient, outbox: Path):  # type: ignore[no-untyped-def]
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    proposal = await apply(client, pro, (await post_project(client, owner))["id"])
    conv = await open_conversation(client, pro, "proposal", proposal["id"])
    return owner, pro, conv


async def test_stream_needs_a_token(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/stream")
    assert r.status_code == 401
    r = await client.get(f"{API}/stream", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_live_messages_unread_counts_and_heartbeats(
    client: httpx.AsyncClient, outbox: Path, live_url: str
) -> None:
    owner, pro, conv = await _pair(client, outbox)
    async with open_stream(live_url, owner.headers) as stream:
        [hello] = await stream.until(lambda f: len(f) >= 1)
        assert hello.event == "unread" and hello.id is None
        assert hello.data["messages"] == 0 and hello.data["notifications"] >= 1
        await send(client, pro, conv["id"], "¿Te sirve el martes?")
        frames = await stream.until(lambda f: len(events(f, "unread")) >= 2)
        [message] = events(frames, "message")
        assert message.data["body"] == "¿Te sirve el martes?"
        assert message.data["conversation_id"] == conv["id"]
        assert events(frames, "unread")[-1].data == {"messages": 1}
        await stream.heartbeat()
        # Reading sends the receipt to the sender's stream, and the count to the reader's.
        async with open_stream(live_url, pro.headers) as pro_stream:
            await pro_stream.until(lambda f: len(f) >= 1)
            await client.post(f"{API}/conversations/{conv['id']}/read", headers=owner.headers)
            [receipt] = events(await pro_stream.until(lambda f: bool(events(f, "read"))), "read")
            assert receipt.data["conversation_id"] == conv["id"]
        frames = await stream.until(lambda f: len(events(f, "unread")) >= 3)
        assert events(frames, "unread")[-1].data == {"messages": 0}


async def test_notifications_arrive_on_the_stream(
    client: httpx.AsyncClient, outbox: Path, live_url: str
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    project = await post_project(client, owner)
    async with open_stream(live_url, owner.headers) as stream:
        await stream.until(lambda f: len(f) >= 1)
        await apply(client, pro, project["id"])
        [note] = events(
            await stream.until(lambda f: bool(events(f, "notification"))), "notification"
        )
        assert note.data["type"] == "proposal_received" and note.data["unread"] >= 1


async def test_resume_with_last_event_id_loses_and_repeats_nothing(
    client: httpx.AsyncClient, outbox: Path, live_url: str
) -> None:
    owner, pro, conv = await _pair(client, outbox)
    async with open_stream(live_url, owner.headers) as stream:
        await stream.until(lambda f: len(f) >= 1)
        await send(client, pro, conv["id"], "mensaje 0")
        frames = await stream.until(lambda f: len(events(f, "message")) >= 1)
        last_id = [f.id for f in frames if f.id][-1]
    # Disconnected: more than the stream's queue holds and a replay batch (3) arrives.
    for n in range(1, 8):
        await send(client, pro, conv["id"], f"mensaje {n}")
    async with open_stream(live_url, owner.headers, last_event_id=last_id) as stream:
        frames = await stream.until(lambda f: len(events(f, "message")) >= 7)
        await send(client, pro, conv["id"], "mensaje 8")
        frames = await stream.until(lambda f: len(events(f, "message")) >= 8)
        bodies = [f.data["body"] for f in events(frames, "message")]
        assert bodies == [f"mensaje {n}" for n in range(1, 9)]
        ids = [int(f.id) for f in frames if f.id]
        assert ids == sorted(set(ids)) and ids[0] == int(last_id) + 1


async def test_a_slow_stream_falls_back_to_the_store(
    client: httpx.AsyncClient, outbox: Path, live_url: str
) -> None:
    """The queue holds 4 events; 10 messages (30 events) arrive while the client is not
    reading. Whether the server's queue overflowed (the broker test proves it is bounded and
    says so) or not, every message arrives in order, once."""
    owner, pro, conv = await _pair(client, outbox)
    async with open_stream(live_url, owner.headers) as stream:
        await stream.until(lambda f: len(f) >= 1)
        for n in range(10):
            await send(client, pro, conv["id"], f"rápido {n}")
        frames = await stream.until(lambda f: len(events(f, "message")) >= 10)
        assert [f.data["body"] for f in events(frames, "message")] == [
            f"rápido {n}" for n in range(10)
        ]
        ids = [int(f.id) for f in frames if f.id]
        assert len(ids) == len(set(ids))
