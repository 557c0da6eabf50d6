"""`fixiactl bench --streams`: what open Server-Sent Events streams cost (issue #23).

On the bench stack, with its dataset and read mix (fixiactl.bench.overhead), and a second
slot started for the streams:
- memory per idle stream: the RSS growth of the stream slot's processes (uvicorn and its
  workers) after STREAMS streams opened and settled, divided by STREAMS;
- delivery latency from send to receipt across slots: the streams are held by one slot (on
  its own port), the messages are sent through HAProxy to the other, so every event crosses
  Redis pub/sub; RATE messages per second for LATENCY_S, time from just before the POST to
  the event's arrival on the recipient's stream (one client process, same clock);
- the read mix (wrk through HAProxy) with the streams open against without, in one session,
  in the order with, without, without, with.
The client (fixiactl.bench.sse) runs its asyncio loop in a thread of this process.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from fixiactl.bench import overhead
from fixiactl.bench.chat import Pair, create_pairs, send_paced
from fixiactl.bench.report import Scenario
from fixiactl.bench.runner import BenchOptions, Progress
from fixiactl.bench.sse import Streams
from fixiactl.stack.config import state_dir
from fixiactl.stack.health import http_ok, wait_for
from fixiactl.stack.supervisor import Supervisor

STREAMS = 2000
RATE = 200
LATENCY_S = 20
GOAL_P99_MS = 250.0
# "Must not be slower": within the noise of a shared 2-core box, as --compare-images.
GOAL_MAX_COST = 0.05
ORDER = (True, False, False, True)
SETTLE_S = 5
T = TypeVar("T")


def tree_rss_kb(roots: list[int], proc: Path = Path("/proc")) -> int:
    """Resident memory (KiB) of the root processes and all their descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    wanted, frontier = set(roots), list(roots)
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in wanted]
        wanted.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in wanted)


class Loop:
    """An asyncio loop in a thread: the streams live on while wrk runs in the foreground."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@contextmanager
def holder_slot(options: BenchOptions, active: list[str], ports: dict[str, int]) -> Iterator[str]:
    """The slot that holds the streams: the one not serving, started for the run."""
    slot = "green" if "blue" in active else "blue"
    port = ports[slot]
    supervisor = Supervisor(state_dir(options.env))
    supervisor.start(f"app-{slot}")
    try:
        wait_for(f"app-{slot}", lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), 120, slot)
        yield slot
    finally:
        supervisor.stop(f"app-{slot}")


def _slot_pids(options: BenchOptions, slot: str) -> list[int]:
    infos = Supervisor(state_dir(options.env)).all_info()
    return [int(i["pid"]) for i in infos if i["name"] == f"app-{slot}" and i["pid"]]


async def _open(port: int, pairs: list[Pair]) -> Streams:
    streams = Streams(port, [s for p in pairs for s in (p.client, p.professional)])
    await streams.open(timeout_s=240, per_second=200)
    return streams


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _latency(base: str, pairs: list[Pair]) -> dict[str, Any]:
    stop = asyncio.Event()
    traffic = await send_paced(
        base, pairs, RATE, stop, RATE * LATENCY_S, max_s=LATENCY_S, drain_s=30
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(s.message_id in s.recipient.arrived for s in traffic.sent):
            break
        await asyncio.sleep(0.2)
    ms = [
        (s.recipient.arrived[s.message_id] - s.sent_at) * 1000
        for s in traffic.sent
        if s.message_id in s.recipient.arrived
    ]
    p99 = round(_percentile(ms, 0.99), 1) if ms else None
    # From the 201 to the arrival: the delivery path alone (commit, Redis, the other slot's
    # stream), without the wait for a free connection when sends queue. An event can arrive
    # before the client has read the 201: that counts as 0.
    after_ack = [
        max(0.0, (s.recipient.arrived[s.message_id] - s.acked_at) * 1000)
        for s in traffic.sent
        if s.message_id in s.recipient.arrived
    ]
    return {
        "rate": RATE,
        "seconds": LATENCY_S,
        "sent": len(traffic.sent),
        "achieved_rate": round(len(traffic.sent) / traffic.seconds, 1) if traffic.seconds else 0,
        "send_failures": traffic.failed,
        "received": len(ms),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p99_ms": p99,
        "max_ms": round(max(ms), 1) if ms else None,
        "after_ack_p50_ms": round(statistics.median(after_ack), 1) if after_ack else None,
        "after_ack_p99_ms": round(_percentile(after_ack, 0.99), 1) if after_ack else None,
        "goal_p99_ms": GOAL_P99_MS,
        "met": p99 is not None and p99 <= GOAL_P99_MS and len(ms) == len(traffic.sent),
    }


def _memory(
    options: BenchOptions, slot: str, loop: Loop, port: int, pairs: list[Pair]
) -> tuple[Streams, dict[str, Any]]:
    time.sleep(SETTLE_S)
    before = tree_rss_kb(_slot_pids(options, slot))
    streams = loop.run(_open(port, pairs), 300)
    time.sleep(SETTLE_S)
    after = tree_rss_kb(_slot_pids(options, slot))
    return streams, {
        "streams": len(streams.streams),
        "rss_before_mb": round(before / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "kb_per_stream": round((after - before) / len(streams.streams), 1),
    }


def _read_mix(
    session: overhead.Session, loop: Loop, port: int, pairs: list[Pair], streams: Streams | None
) -> list[tuple[bool, Scenario]]:
    runs: list[tuple[bool, Scenario]] = []
    for n, with_streams in enumerate(ORDER):
        if with_streams and streams is None:
            streams = loop.run(_open(port, pairs), 240)
        if not with_streams and streams is not None:
            loop.run(streams.close(), 60)
            streams = None
            time.sleep(SETTLE_S)
        label = f"read mix, {'with' if with_streams else 'without'} {STREAMS} streams open"
        scenario = overhead.measure(
            session.ctx, f"streams-{n}", f"{label} ({n + 1}/{len(ORDER)})", session.data,
            session.paths.everything,
        )  # fmt: skip
        runs.append((with_streams, scenario))
    if streams is not None:
        loop.run(streams.close(), 60)
    return runs


def run(options: BenchOptions, progress: Progress) -> dict[str, Any]:
    session = overhead.prepare(options, progress)
    stack = session.stack
    loop = Loop()
    try:
        with holder_slot(options, session.config.active_slots, stack.ports) as slot:
            port = stack.ports[slot]
            progress(f"creating {STREAMS} people in {STREAMS // 2} conversations")
            pairs = create_pairs(stack, STREAMS // 2)
            progress(f"opening {STREAMS} streams on {slot}")
            streams, memory = _memory(options, slot, loop, port, pairs)
            progress(f"delivery latency: {RATE} messages/s for {LATENCY_S} s, across slots")
            base = f"http://127.0.0.1:{stack.ports['http']}"
            latency = loop.run(_latency(base, pairs), 180)
            runs = _read_mix(session, loop, port, pairs, streams)
    finally:
        loop.close()
    report = {
        "environment": options.env,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "stream_slot": slot,
        "memory": memory,
        "latency": latency,
        "read_mix": {
            "duration_s": options.duration_s,
            "connections": options.connections,
            **overhead.summarise(runs, GOAL_MAX_COST, side="streams"),
        },
    }
    return write(options, report)


def markdown(report: dict[str, Any]) -> str:
    m, lat, mix = report["memory"], report["latency"], report["read_mix"]
    verdict = "met" if lat["met"] else "MISSED"
    cost = "met" if mix["met"] else "MISSED"
    return "\n".join(
        [
            f"# Streams benchmark ({report['finished_at']})",
            "",
            "| measure | value | goal |",
            "|---|---|---|",
            f"| memory per idle stream | {m['kb_per_stream']} KiB "
            f"({m['streams']} streams, slot RSS {m['rss_before_mb']} → {m['rss_after_mb']} MB) | |",
            f"| delivery latency p50 / p99, {lat['rate']} msg/s, {m['streams']} streams, "
            f"across slots | {lat['p50_ms']} / {lat['p99_ms']} ms "
            f"({lat['received']}/{lat['sent']} received, {lat['achieved_rate']} msg/s achieved) "
            f"| p99 ≤ {lat['goal_p99_ms']:.0f} ms: "
            f"{verdict} |",
            f"| the same from the app's 201 to receipt (delivery alone) p50 / p99 | "
            f"{lat.get('after_ack_p50_ms')} / {lat.get('after_ack_p99_ms')} ms | |",
            f"| read mix RPS with / without streams | {mix['rps_on']} / {mix['rps_off']} "
            f"(cost {mix['cost']:.1%}) | cost ≤ {mix['goal_max_cost']:.0%}: {cost} |",
            "",
        ]
    )


def write(options: BenchOptions, report: dict[str, Any]) -> dict[str, Any]:
    options.out_dir.mkdir(parents=True, exist_ok=True)
    path = options.out_dir / "streams.json"
    md = options.out_dir / "streams.md"
    path.write_text(json.dumps(report, indent=2) + "\n")
    md.write_text(markdown(report))
    report["files"] = {"json": str(path), "markdown": str(md)}
    return report
