"""Send a chunked request body over a raw socket while watching for the answer: what the
stack's 413 tests need (httpx would send the whole body before reading any answer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def send_chunked(
    port: int,
    head: str,
    first: bytes,
    piece: Callable[[int], bytes],
    total: int,
    each: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """`head`: the request line and headers (Transfer-Encoding: chunked, blank line
    included); `first`: the first chunk's data; `piece(i)`: the i-th further chunk's data,
    sent until `total` bytes went out, the answer came or 60 s passed; `each()` runs after
    every chunk. Returns the status (0 when the reset after the answer ate it on our side)
    and how many bytes went out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode())
    writer.write(chunk(first))
    answer = asyncio.ensure_future(reader.readline())
    sent, index, deadline = 0, 0, time.monotonic() + 60
    try:
        while sent < total and not answer.done() and time.monotonic() < deadline:
            data = chunk(piece(index))
            writer.write(data)
            sent += len(data)
            index += 1
            try:
                await asyncio.wait_for(writer.drain(), timeout=1)
            except (TimeoutError, ConnectionError):
                break
            if each is not None:
                each()
        try:
            line = await asyncio.wait_for(answer, timeout=10)
        except ConnectionError:
            # The server answered and closed while we were still sending: the kernel may
            # discard its answer with the reset.
            return 0, sent
    finally:
        writer.close()
    return (int(line.split()[1]) if line else 0), sent


def refusals(slot_port: int, route: str) -> float:
    """How many POST `route` a slot has answered 413, from its own /metrics (the access log
    is block-buffered on stdout, so it may not hold the line yet)."""
    text = httpx.get(f"http://127.0.0.1:{slot_port}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "fixia_http_requests_total"
                and labels.get("method") == "POST"
                and labels.get("route") == route
                and labels.get("status") == "413"
            ):
                total += sample.value
    return total
