"""The bench's raw SSE client (fixiactl.bench.sse) against a tiny chunked SSE server that
ends each stream after two events: the client parses frames split across chunks, counts
messages addressed to it once, and reconnects with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json

from fixiactl.bench.sse import Stream, Streams

ME, OTHER = "u-me", "u-other"


def _event(seq: int, sender: str) -> bytes:
    data = json.dumps({"id": f"m{seq}", "sender_id": sender})
    return f"id: {seq}\nevent: message\ndata: {data}\n\n".encode()


def _chunk(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n"


async def _serve(requests: list[str]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(reader, writer)
        finally:
            writer.close()

    async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        requests.append(head)
        last = next(
            (int(h.split(":")[1]) for h in head.split("\r\n") if h.startswith("Last-Event-ID")), 0
        )
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        writer.write(_chunk(b"retry: 50\n\n: ping\n\n"))
        first, second = _event(last + 1, OTHER), _event(last + 2, ME)
        # One event split across two chunks; then one of my own (an echo: not counted).
        writer.write(_chunk(first[:10]) + _chunk(first[10:] + second))
        await writer.drain()
        await asyncio.sleep(0.3)  # open long enough for the client to be seen connected

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def _run() -> tuple[Stream, list[str]]:
    requests: list[str] = []
    server = await _serve(requests)
    port = server.sockets[0].getsockname()[1]
    stream = Stream(ME, "token")
    streams = Streams(port, [stream])
    await streams.open(timeout_s=5)
    for _ in range(100):
        if len(requests) >= 3:
            break
        await asyncio.sleep(0.05)
    await streams.close()
    server.close()
    await server.wait_closed()
    return stream, requests


def test_client_counts_messages_once_and_resumes_with_last_event_id() -> None:
    stream, requests = asyncio.run(_run())
    assert len(requests) >= 3
    assert "Last-Event-ID" not in requests[0]
    assert "Last-Event-ID: 2\r\n" in requests[1]
    assert "Last-Event-ID: 4\r\n" in requests[2]
    assert "Authorization: Bearer token" in requests[0]
    # Events 1, 3, 5… came from the other party; 2, 4… were my own echoes.
    assert stream.received["m1"] == 1 and stream.received["m3"] == 1
    assert "m2" not in stream.received
    assert stream.connections >= 3 and len(stream.reconnect_s) >= 2
