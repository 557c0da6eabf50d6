"""Issue #27, item 1, through the real topology: a chunked 100 MB multipart body sent to a
web form through HAProxy is answered 413 after about the limit, and the slot neither
spools it to disk nor grows in memory."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.chunked import refusals, send_chunked
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
    """The status and how many bytes went out; no temp file may appear while the body
    streams in. Bounded: at most TOTAL bytes and 60 seconds."""
    head = (
        f"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrf_token={cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )

    def part(name: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()

    def no_temp_file() -> None:
        assert not _deleted_temp_files(pids)

    return await send_chunked(
        port,
        head,
        part("csrf_token") + token.encode() + b"\r\n",
        lambda i: part(f"f{i}") + b"x" * FIELD + b"\r\n",
        TOTAL,
        no_temp_file,
    )


async def test_a_chunked_100mb_form_is_refused_early_and_costs_nothing(
    running_stack: RunningStack,
) -> None:
    async with httpx.AsyncClient(base_url=running_stack.http, timeout=30) as client:
        page = await client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    cookie = page.cookies["csrf_token"]
    pids = _slot_pids(running_stack)
    before = _rss_kib(pids)
    refused_before = refusals(running_stack.ports["blue"], "/login")
    status, sent = await _chunked_upload(running_stack.ports["http"], token, cookie, pids)
    if status == 0:  # the reset ate the answer on our side: the slot's own count has it
        refused = refusals(running_stack.ports["blue"], "/login")
        status = 413 if refused == refused_before + 1 else -1
    assert status == 413
    # HAProxy and socket buffers let some megabytes through before the answer lands, never
    # the whole body.
    assert sent < 32 * 1024 * 1024, sent
    assert not _deleted_temp_files(pids)
    assert _rss_kib(pids) - before < 4 * 1024  # KiB: under 4 MB of growth
