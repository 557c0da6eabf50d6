"""A blue-green deploy with 500 open streams (Server-Sent Events through HAProxy) and message
traffic: every message reaches its recipient exactly once, and every stream moves to the new
slot (docs/conversations.md, HAProxy). Counts only; the reconnect times go to var/bench/."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fixiactl.bench.chat import Pair, Traffic, create_pairs, send_paced
from fixiactl.bench.sse import Streams
from fixiactl.stack.config import read_state
from fixiactl.stack.health import haproxy_command
from tests.acceptance.delivery.conftest import Ctl, builder, clone_head, delivery_stack, why

PAIRS = 250  # 500 people, one stream each
RATE = 20  # messages per second, before, during and after the deploy
BENCH = Path(__file__).resolve().parents[3] / "var" / "bench" / "streams-deploy.json"


@pytest.fixture(scope="module")
def fresh(releases_dir: Path) -> Iterator[Ctl]:
    """A stack of its own: the session's has run test_expand_contract's contract migration,
    after which HEAD's release is no longer rollback-safe there (and must not be)."""
    with delivery_stack(releases_dir) as started:
        yield started


@pytest.fixture(scope="module")
def head_build(releases_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Releases of HEAD alone, whatever migrations other tests committed to the session's
    source."""
    return builder(releases_dir, clone_head(tmp_path_factory.mktemp("streams-src") / "fixia"))


def _stream_sessions(ctl: Ctl) -> dict[str, int]:
    """Open streams per slot, as HAProxy's be_stream counts them."""
    out = haproxy_command(ctl.state / "haproxy" / "admin.sock", "show stat")
    rows = csv.DictReader(io.StringIO(out.lstrip("# ")))
    return {
        r["svname"]: int(r["scur"] or 0)
        for r in rows
        if r["pxname"] == "be_stream" and r["svname"] in ("blue", "green")
    }


async def _until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.2)
    return check()


async def _deploy_with_streams(
    ctl: Ctl, pairs: list[Pair], release: str
) -> tuple[tuple[int, dict[str, Any], str], Traffic, Streams, dict[str, Any]]:
    streams = Streams(ctl.ports["http"], [s for p in pairs for s in (p.client, p.professional)])
    await streams.open(timeout_s=120, per_second=100)
    seen: dict[str, Any] = {"before": _stream_sessions(ctl)}
    stop = asyncio.Event()
    sender = asyncio.create_task(send_paced(ctl.http, pairs, RATE, stop, max_messages=RATE * 600))
    try:
        await asyncio.sleep(3)
        seen["deploy_started"] = time.monotonic()
        deployed = await asyncio.to_thread(
            ctl.deploy, release, "--strategy", "blue-green", "--hold", "5"
        )
        seen["deploy_ended"] = time.monotonic()
        seen["deploy_s"] = round(seen["deploy_ended"] - seen["deploy_started"], 1)
        seen["failed_stream_connects"] = sum(s.failed_connects for s in streams.streams)
        await asyncio.sleep(3)
        stop.set()
        traffic = await sender
        # Every acknowledged message reached its recipient (bounded), then a pause in which a
        # duplicate would show.
        await _until(lambda: all(s.recipient.received[s.message_id] for s in traffic.sent), 60)
        await asyncio.sleep(3)
        await _until(lambda: all(s.connected for s in streams.streams), 30)
        seen["after"] = _stream_sessions(ctl)
    finally:
        stop.set()
        await streams.close()
    return deployed, traffic, streams, seen


def test_blue_green_deploy_with_500_streams_delivers_every_message_once(
    fresh: Ctl, head_build: Callable[..., str]
) -> None:
    ctl, release = fresh, head_build()
    pairs = create_pairs(read_state(ctl.env), PAIRS)
    (code, data, err), traffic, streams, seen = asyncio.run(
        _deploy_with_streams(ctl, pairs, release)
    )
    assert code == 0 and data["result"] == "promoted", why(data, err)
    failures = [(round(at - seen["deploy_started"], 1), what) for at, what in traffic.samples]
    log = (ctl.state / "log" / "haproxy.log").read_text().splitlines()
    downs = [line for line in log if " is DOWN" in line]
    assert traffic.failed == {}, (traffic.failed, failures, seen, downs[-4:])
    during = [
        s for s in traffic.sent if seen["deploy_started"] <= s.sent_at <= seen["deploy_ended"]
    ]
    assert len(during) >= 100, f"only {len(during)} messages were sent during the deploy"
    sent_ids = {s.message_id for s in traffic.sent}
    assert len(sent_ids) == len(traffic.sent)
    lost = [s.message_id for s in traffic.sent if s.recipient.received[s.message_id] == 0]
    twice = [s.message_id for s in traffic.sent if s.recipient.received[s.message_id] > 1]
    stray = [m for st in streams.streams for m in st.received if m not in sent_ids]
    assert (lost, twice, stray) == ([], [], []), (len(lost), len(twice), len(stray))
    # Every stream was on the old slot, ended when it retired and resumed on the new one.
    old, new = max(seen["before"], key=seen["before"].get), data["slot"]
    assert seen["before"][old] == 2 * PAIRS, seen
    assert seen["after"] == {old: 0, new: 2 * PAIRS}, seen
    reconnected = [s for s in streams.streams if s.connections >= 2 and s.reconnect_s]
    assert len(reconnected) == 2 * PAIRS, f"{len(reconnected)} streams reconnected"
    times = sorted(t for s in streams.streams for t in s.reconnect_s)
    BENCH.parent.mkdir(parents=True, exist_ok=True)
    BENCH.write_text(
        json.dumps(
            {
                "streams": 2 * PAIRS,
                "messages_sent": len(traffic.sent),
                "messages_sent_during_deploy": len(during),
                "reconnections": len(times),
                "reconnect_s_p50": round(statistics.median(times), 3),
                "reconnect_s_p99": round(times[int(0.99 * (len(times) - 1))], 3),
                "reconnect_s_max": round(times[-1], 3),
            },
            indent=2,
        )
        + "\n"
    )
