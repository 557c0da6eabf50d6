"""Issue #27, item 1, through the real topology: a chunked 100 MB multipart body sent to a
web form through HAProxy is answered 413 after about the limit, and the slot neither
spools it to disk nor grows in memory."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack import RunningStack

pytestmark = pytest.mark.stack

BOUNDARY = "fixia-stack-boundary"
FIELD = 60 * 1024  # under the form part limit: only the byte count can stop the body
TOTAL = 100 * 1024 * 1024


def _slot_pids(stack: RunningStack) -> list[int]:
    """The blue slot's uvicorn process and its workers."""
    components = json.loads(stack.ctl("status", "--json").stdout)
    root = next(c["pid"] for c in components if c["name"] == "app-blue")
    pids, frontier = [root], [root]
    while frontier:
        children = Path(f"/proc/{frontier.pop()}/task")
        for task in children.iterdir():
            found = (task / "children").read_text().split()
            pids += [int(p) for p in found]
            frontier += [int(p) for p in found]
    return pids


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _deleted_temp_files(pids: list[int]) -> list[str]:
    """Open files that were unlinked: how SpooledTemporaryFile keeps an upload on disk."""
    found = []
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target.endswith("(deleted)"):
                found.append(target)
    return found


async def _chunked_upload(port: int, token: str, cookie: str, pids: list[int]) -> tuple[int, int]:
    """Sends the body in chunked encoding while watching for the answer; returns the status
    and how many bytes went out. Bounded: at most TOTAL bytes and 60 seconds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrf_token={cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
    )

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    def part(name: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()

    sent = 0
    writer.write(chunk(part("csrf_token") + token.encode() + b"\r\n"))
    answer = asyncio.ensure_future(reader.readline())
    deadline = time.monotonic() + 60
    index = 0
    try:
        while sent < TOTAL and not answer.done() and time.monotonic() < deadline:
            data = chunk(part(f"f{index}") + b"x" * FIELD + b"\r\n")
            writer.write(data)
            sent += len(data)
            index += 1
            try:
                await asyncio.wait_for(writer.drain(), timeout=1)
            except (TimeoutError, ConnectionError):
                break
            # No temp file may appear while the body streams in.
            assert not _deleted_temp_files(pids)
        try:
            status_line = await asyncio.wait_for(answer, timeout=10)
        except ConnectionError:
            # The server answered and closed while we were still sending: the kernel may
            # discard its answer with the reset (status 0; the caller reads the app's log).
            return 0, sent
    finally:
        writer.close()
    return int(status_line.split()[1]), sent


def _refusals(stack: RunningStack) -> float:
    """How many POST /login the blue slot has answered 413, from its own /metrics (the
    access log is block-buffered on stdout, so it may not hold the line yet)."""
    text = httpx.get(f"http://127.0.0.1:{stack.ports['blue']}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "fixia_http_requests_total"
                and labels.get("method") == "POST"
                and labels.get("route") == "/login"
                and labels.get("status") == "413"
            ):
                return sample.value
    return 0.0


async def test_a_chunked_100mb_form_is_refused_early_and_costs_nothing(
    running_stack: RunningStack,
) -> None:
    async with httpx.AsyncClient(base_url=running_stack.http, timeout=30) as client:
        page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    cookie = page.cookies["csrf_token"]
    pids = _slot_pids(running_stack)
    before = _rss_kib(pids)
    refused_before = _refusals(running_stack)
    status, sent = await _chunked_upload(running_stack.ports["http"], token, cookie, pids)
    if status == 0:  # the reset ate the answer on our side: the slot's own count has it
        status = 413 if _refusals(running_stack) == refused_before + 1 else -1
    assert status == 413
    # HAProxy and socket buffers let some megabytes through before the answer lands, never
    # the whole body.
    assert sent < 32 * 1024 * 1024, sent
    assert not _deleted_temp_files(pids)
    assert _rss_kib(pids) - before < 4 * 1024  # KiB: under 4 MB of growth
