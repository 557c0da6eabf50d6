"""`fixiactl bench --ha`: how long the app cannot write after the leader's machine is lost.

Each run: 50 registrations/s through the app's HAProxy; after 5 s the leader's Patroni is
frozen and then killed together with its PostgreSQL (`kill -9`, nothing restarts them, as a
lost machine); the run records when another member answers Patroni's /primary, when
HAProxy's primary frontend routes to it, and the first registration acknowledged after the
kill; afterwards every acknowledged registration is looked up in the database. Between runs
the killed member is started again and the cluster must be whole (leader, sync standby,
streaming replica). The chaos suite asserts the counts; this only measures the seconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from fixiactl.bench.files import write_pair
from fixiactl.errors import FixiactlError
from fixiactl.stack import ha, patroni
from fixiactl.stack.config import PGBIN, ROOT, StackState, read_state, state_dir
from fixiactl.stack.supervisor import Supervisor

WRITES_PER_S = 50
LOAD_S, KILL_AT_S = 30.0, 5.0
GOAL_S, MOONSHOT_S = 15.0, 10.0
WHOLE_TIMEOUT_S = 120
OUT = ROOT / "var" / "bench"


@dataclass
class Write:
    email: str
    started: float
    ended: float = 0.0
    status: int | None = None


@dataclass
class KillRun:
    old_leader: str
    new_leader: str | None = None
    takeover_s: float | None = None
    routed_s: float | None = None
    writes_again_s: float | None = None
    sent: int = 0
    acknowledged: int = 0
    refused: int = 0
    failed: int = 0
    lost: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def _registration(i: int, run: str) -> dict[str, Any]:
    return {
        "email": f"habench-{run}-{i}@example.com.ar",
        "password": "Patagonia-Viento-82!",  # pragma: allowlist secret
        "name": f"Bench {i}",
        "role": "client",
        "dni": str(30_000_000 + (uuid.uuid4().int % 60_000_000)),
        "birthdate": "1990-05-17",
        "phone": "+54 9 280 455-1234",
        "location": "Trelew, Chubut",
    }


async def _load(http: str, writes: list[Write]) -> None:
    """Paced POSTs, at most 24 in flight; bounded by count and by time."""
    run = uuid.uuid4().hex[:6]
    limit = asyncio.Semaphore(24)
    async with httpx.AsyncClient(base_url=http, timeout=15) as client:

        async def one(i: int) -> None:
            async with limit:
                w = Write(f"habench-{run}-{i}@example.com.ar", time.monotonic())
                writes.append(w)
                try:
                    resp = await client.post("/api/v1/auth/register", json=_registration(i, run))
                    w.status = resp.status_code
                except httpx.HTTPError:
                    w.status = None
                w.ended = time.monotonic()

        tasks = []
        for i in range(int(LOAD_S * WRITES_PER_S)):
            tasks.append(asyncio.create_task(one(i)))
            await asyncio.sleep(1 / WRITES_PER_S)
        await asyncio.wait_for(asyncio.gather(*tasks), LOAD_S + 20)


def _kill_leader(state: StackState, env: str, leader: int) -> None:
    """Freeze the leader's Patroni (so supervisord's stop finds it unable to react), ask
    supervisord to stop it without waiting, then kill -9 its PostgreSQL and itself."""
    supervisor = Supervisor(state_dir(env))
    pid = int(supervisor.info(f"patroni{leader}")["pid"])
    pidfile = ha.member_dir(state_dir(env), leader) / "data" / "postmaster.pid"
    postmaster = int(pidfile.read_text().split()[0])
    os.kill(pid, signal.SIGSTOP)
    supervisor._call("stopProcess", f"patroni{leader}", False)
    os.kill(postmaster, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


async def _watch(env: str, state: StackState, old: int, killed: float, run: KillRun) -> None:
    """Takeover (another member answers /primary) and routing (HAProxy sends there)."""
    deadline = killed + 60
    while time.monotonic() < deadline and run.routed_s is None:
        now = time.monotonic()
        if run.takeover_s is None:
            leader = await asyncio.to_thread(ha.leader_index, state)
            if leader is not None and leader != old:
                run.takeover_s, run.new_leader = round(now - killed, 2), f"pg{leader}"
        elif run.new_leader in await asyncio.to_thread(patroni.primary_route, env):
            run.routed_s = round(now - killed, 2)
        await asyncio.sleep(0.1)


def _lost(state: StackState, emails: list[str]) -> int:
    """Acknowledged registrations missing from the database (the leader, via HAProxy)."""
    prefix = emails[0].rsplit("-", 1)[0] + "-"
    psql = [str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(state.ports["postgres"])]
    done = subprocess.run(
        [*psql, "-U", "fixia", "-d", "fixia", "-At", "-v", f"prefix={prefix}"],
        input="select email from users where email like :'prefix' || '%';",
        env={**os.environ, "PGPASSWORD": state.db_password},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return len(set(emails) - set(done.stdout.split()))


async def _one_run(env: str) -> KillRun:
    state = read_state(env)
    old = ha.leader_index(state)
    if old is None:
        raise FixiactlError("the cluster has no leader", hint="fixiactl db status")
    run = KillRun(old_leader=f"pg{old}")
    writes: list[Write] = []
    load = asyncio.create_task(_load(f"http://127.0.0.1:{state.ports['http']}", writes))
    await asyncio.sleep(KILL_AT_S)
    killed = time.monotonic()
    await asyncio.to_thread(_kill_leader, state, env, old)
    await asyncio.gather(load, _watch(env, state, old, killed, run))
    ok = [w for w in writes if w.status is not None and 200 <= w.status < 300]
    after = [w.ended - killed for w in ok if w.started >= killed]
    run.writes_again_s = round(min(after), 2) if after else None
    run.sent, run.acknowledged = len(writes), len(ok)
    run.refused = sum(w.status == 503 for w in writes)
    run.failed = len(writes) - len(ok) - run.refused
    run.lost = await asyncio.to_thread(_lost, state, [w.email for w in ok]) if ok else 0
    return run


def _whole(state: StackState) -> bool:
    members = (ha.cluster(state) or {}).get("members", [])
    roles = sorted(m.get("role", "") for m in members)
    streaming = all(m.get("state") == "streaming" for m in members if m.get("role") != "leader")
    return roles == ["leader", "replica", "sync_standby"] and streaming


def _restore(env: str) -> None:
    """Start every stopped program (the killed member rejoins), then wait for a whole cluster."""
    supervisor = Supervisor(state_dir(env))
    for info in supervisor.all_info():
        if info["statename"] != "RUNNING":
            supervisor.start(info["name"])
    state = read_state(env)
    deadline = time.monotonic() + WHOLE_TIMEOUT_S
    while not _whole(state):
        if time.monotonic() > deadline:
            raise FixiactlError("the cluster is not whole again", hint="fixiactl db status")
        time.sleep(1)


def _summary(values: list[float | None]) -> dict[str, float | None]:
    known = [v for v in values if v is not None]
    return {
        "p50": round(statistics.median(known), 2) if known else None,
        "max": max(known) if known and len(known) == len(values) else None,
    }


def run(env: str, runs: int, step: Callable[[str], None]) -> dict[str, Any]:
    if not (state_dir(env) / "ha.enabled").exists():
        raise FixiactlError(f"{env} is not an HA stack", hint=f"fixiactl stack up --ha --env {env}")
    results: list[KillRun] = []
    _restore(env)
    for i in range(runs):
        step(f"run {i + 1}/{runs}: {WRITES_PER_S} writes/s, kill -9 of the leader at {KILL_AT_S} s")
        one = asyncio.run(_one_run(env))
        results.append(one)
        step(f"run {i + 1}: writes again after {one.writes_again_s} s, lost {one.lost}")
        step("waiting for the killed member to rejoin")
        _restore(env)
    return _write(results)


def _write(results: list[KillRun]) -> dict[str, Any]:
    again = _summary([r.writes_again_s for r in results])
    report = {
        "runs": [asdict(r) for r in results],
        "takeover_s": _summary([r.takeover_s for r in results]),
        "routed_s": _summary([r.routed_s for r in results]),
        "writes_again_s": again,
        "lost": sum(r.lost for r in results),
        "goal_s": GOAL_S,
        "moonshot_s": MOONSHOT_S,
        "met": again["max"] is not None and again["max"] <= GOAL_S,
    }
    report["files"] = write_pair(OUT, "ha", report, markdown(report))
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# HA failover: kill -9 of the leader under {WRITES_PER_S} writes/s",
        "",
        "| run | old → new | takeover s | routed s | writes again s | sent | acked | 503 | "
        "failed | lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(report["runs"], 1):
        lines.append(
            f"| {i} | {r['old_leader']} → {r['new_leader']} | {r['takeover_s']} | "
            f"{r['routed_s']} | {r['writes_again_s']} | {r['sent']} | {r['acknowledged']} | "
            f"{r['refused']} | {r['failed']} | {r['lost']} |"
        )
    again = report["writes_again_s"]
    lines += [
        "",
        f"Writes again (kill → first acknowledged write): p50 {again['p50']} s, "
        f"max {again['max']} s (goal ≤ {GOAL_S:g} s, moonshot ≤ {MOONSHOT_S:g} s). "
        f"Acknowledged writes lost: {report['lost']}.",
        "",
    ]
    return "\n".join(lines)
