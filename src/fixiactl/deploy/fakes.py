"""In-memory stand-ins for what a deploy drives (fixiactl.deploy.protocols) and the metrics it
reads, so the engine's decisions can be tested without a stack: no sockets, no processes.

They are wired together the way the real systems are: the router sees a slot UP only while
the supervisor runs its app; `FakeTraffic` sends requests by the router's weights to the
slots' running processes, each release failing at its own rate, and counts them at the
front door too. A process that stops loses its counters, as a real one does."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.metrics import MetricsSource, MetricsUnavailable, Snapshot
from fixiactl.deploy.preflight import GateResult
from fixiactl.deploy.protocols import MIRROR_BUCKETS, MirrorStats, ServerStat
from fixiactl.deploy.releases import Release
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import EnvConfig

SLOTS = ("blue", "green")
ROUTER_STATES = ("ready", "drain", "maint")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, math.inf)


class FakeSupervisor:
    def __init__(self, running: tuple[str, ...] = ("app-blue", "worker-blue")) -> None:
        programs = [f"{kind}-{slot}" for slot in SLOTS for kind in ("app", "worker")]
        self.states = {p: "RUNNING" if p in running else "STOPPED" for p in programs}
        self.daemon = True
        self.broken: set[str] = set()  # programs that fail to start
        self.history: list[tuple[str, str]] = []

    def running(self) -> bool:
        return self.daemon

    def start(self, name: str) -> None:
        if self.info(name)["statename"] in ("RUNNING", "STARTING"):
            return
        self.history.append(("start", name))
        if name in self.broken:
            self.states[name] = "FATAL"
            raise FixiactlError(f"{name} failed to start: SPAWN_ERROR")
        self.states[name] = "RUNNING"

    def stop(self, name: str) -> None:
        if self.info(name)["statename"] in ("RUNNING", "STARTING", "BACKOFF"):
            self.history.append(("stop", name))
            self.states[name] = "STOPPED"

    def info(self, name: str) -> dict[str, Any]:
        if name not in self.states:
            raise FixiactlError(f"no such program {name!r}")
        return {"name": name, "statename": self.states[name]}

    def crash(self, name: str) -> None:
        self.states[name] = "EXITED"

    def is_running(self, name: str) -> bool:
        return self.states.get(name) == "RUNNING"


class FakeRouter:
    def __init__(self, supervisor: FakeSupervisor) -> None:
        self.supervisor = supervisor
        self.weights = {"blue": 100, "green": 0}
        self.states = dict.fromkeys(SLOTS, "ready")
        self.sessions = dict.fromkeys(SLOTS, 0)
        self.totals = dict.fromkeys(SLOTS, 0)
        self.requests = 0
        self.failed = 0
        self.config_error: str | None = None
        self.reachable = True
        self.history: list[tuple[str, str, int | str]] = []
        # Routing modes: the canary header/cookie target, the sticky deploy id, the mirror.
        self.canary: str | None = None
        self.sticky: str | None = None
        self.mirror: str | None = None
        self.mirrored = MirrorStats(buckets=dict.fromkeys((*MIRROR_BUCKETS, math.inf), 0.0))
        self.routing_missing = False  # a stack rendered before the routing map

    def _slot(self, slot: str) -> str:
        if not self.reachable:
            raise FixiactlError("HAProxy's runtime API is unreachable (fake)")
        if slot not in self.weights:
            raise FixiactlError(f"HAProxy refused: no such server {slot!r}")
        return slot

    def set_weight(self, slot: str, weight: int) -> None:
        if not 0 <= weight <= 256:
            raise FixiactlError(f"HAProxy refused weight {weight}")
        self.weights[self._slot(slot)] = int(weight)
        self.history.append(("weight", slot, int(weight)))

    def set_state(self, slot: str, state: str) -> None:
        if state not in ROUTER_STATES:
            raise FixiactlError(f"HAProxy refused state {state!r}")
        self.states[self._slot(slot)] = state
        self.history.append(("state", slot, state))

    def status(self, slot: str) -> str:
        if self.states[slot] == "maint":
            return "MAINT"
        if not self.supervisor.is_running(f"app-{slot}"):
            return "DOWN"
        return "DRAIN" if self.states[slot] == "drain" else "UP"

    def stats(self) -> dict[str, ServerStat]:
        return {
            slot: ServerStat(
                name=slot,
                status=self.status(self._slot(slot)),
                weight=self.weights[slot],
                sessions=self.sessions[slot],
                total=self.totals[slot],
                hrsp_5xx=0,
                econ=0,
                eresp=0,
            )
            for slot in SLOTS
        }

    def front_door(self) -> tuple[int, int]:
        self._slot("blue")
        return self.requests, self.failed

    # Nothing here takes time: a fake slot is UP (or drained) at once, or never.
    def wait_up(self, slot: str, timeout_s: float) -> bool:
        return self.status(self._slot(slot)).startswith("UP")

    def wait_no_sessions(self, slot: str, timeout_s: float) -> bool:
        return self.sessions[self._slot(slot)] == 0

    def check_config(self) -> str | None:
        return self.config_error

    def set_routing(self, canary: str | None, sticky: str | None) -> None:
        if self.routing_missing:
            raise FixiactlError("HAProxy has no routing map (fake)", hint="fixiactl stack up")
        self.canary = canary and self._slot(canary)
        self.sticky = sticky
        self.history.append(("routing", canary or "none", sticky or "off"))

    def set_mirror(self, slot: str | None) -> None:
        if self.routing_missing:
            raise FixiactlError("HAProxy has no routing map (fake)", hint="fixiactl stack up")
        self.mirror = slot and self._slot(slot)
        self.history.append(("mirror", slot or "off", 0))

    def mirror_stats(self) -> MirrorStats:
        m = self.mirrored
        return MirrorStats(m.sent, m.answered, m.errors, m.failed, m.skipped, dict(m.buckets))


class FakeSlotHost:
    def __init__(self, gate: GateResult | None = None) -> None:
        self.pointed: dict[str, str] = {"blue": "dev"}
        self.extra: dict[str, dict[str, str]] = {}
        self.gate_result = gate or GateResult()
        self.migrated: list[tuple[str, str]] = []
        self.ready_ok = True
        self.smoke_error: str | None = None

    def point(self, slot: str, release: Release, extra: dict[str, str]) -> None:
        self.pointed[slot] = release.id
        self.extra[slot] = extra

    def migrate(self, release: Release, revision: str) -> str:
        self.migrated.append((release.id, revision))
        return ""

    def gate(self, release: Release, serving: str, *, allow_contract: bool) -> GateResult:
        return self.gate_result

    def ready(self, slot: str, timeout_s: float) -> bool:
        return self.ready_ok

    def smoke(self, slot: str, release_id: str) -> list[str]:
        if self.smoke_error:
            raise FixiactlError(f"smoke test failed: {self.smoke_error}")
        return ["health", "search", "login", "write"]


class NoRestorePoints:
    def create(self, env: str, label: str) -> str | None:
        return None


@dataclass
class Behaviour:
    """How a release answers: its share of 5xx and the latency of every request."""

    error_rate: float = 0.0
    latency_s: float = 0.008


@dataclass
class FakeTraffic:
    """A `MetricsSource`: every read first sends `per_read` requests through the router.

    Time is virtual: each read is `step_s` later than the one before (never before the
    wall clock), so a step's hold is covered after a few reads whatever the real time."""

    router: FakeRouter
    host: FakeSlotHost
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    per_read: int = 1000
    step_s: float = 1.0
    name: str = "fake"
    interval_s: float = 0.0
    unavailable: bool = False
    # Called before every read (scripted events: a crash at some weight, an outage...).
    before_read: Callable[[], None] | None = None
    counters: dict[str, Snapshot] = field(default_factory=dict)
    now: float = 0.0
    reads: int = 0

    def _serve(self) -> None:
        supervisor = self.router.supervisor
        for slot in SLOTS:
            if not supervisor.is_running(f"app-{slot}"):
                self.counters.pop(slot, None)  # a stopped process forgets its counters
                continue
            n = self.per_read * self.router.weights[slot] // 100
            how = self.behaviours.get(self.host.pointed.get(slot) or "", Behaviour())
            errors = round(n * how.error_rate)
            snap = self.counters.setdefault(slot, Snapshot())
            snap.requests += n
            snap.errors += errors
            for le in BUCKETS:
                snap.buckets[le] = snap.buckets.get(le, 0.0) + (n if how.latency_s <= le else 0)
            self.router.totals[slot] += n
            self.router.requests += n
            self.router.failed += errors
        self._mirror()

    def _mirror(self) -> None:
        """A tenth of each read's requests are GETs, copied to the mirror slot if any."""
        slot, m = self.router.mirror, self.router.mirrored
        if slot is None:
            return
        n = self.per_read // 10
        m.sent += n
        if not self.router.supervisor.is_running(f"app-{slot}"):
            m.failed += n
            return
        how = self.behaviours.get(self.host.pointed.get(slot) or "", Behaviour())
        errors = round(n * how.error_rate)
        m.answered += n
        m.errors += errors
        own = self.counters.setdefault(slot, Snapshot())  # the slot counts them too
        own.requests += n
        own.errors += errors
        for le in m.buckets:
            m.buckets[le] += n if how.latency_s <= le else 0
            own.buckets[le] = own.buckets.get(le, 0.0) + (n if how.latency_s <= le else 0)

    def snapshot(self, slot: str) -> Snapshot | None:
        self.reads += 1
        if self.before_read is not None:
            self.before_read()
        if self.unavailable:
            raise MetricsUnavailable("the fake source is down", hint="a test made it so")
        self._serve()
        self.now = max(time.time(), self.now + self.step_s)
        snap = self.counters.get(slot)
        if snap is None:
            return None
        return Snapshot(snap.requests, snap.errors, dict(snap.buckets), at=self.now)


def fake_release(release_id: str) -> Release:
    """Any release id names a release (its venv is never looked at by the fakes)."""
    return Release(
        id=release_id,
        version="1.0",
        git_sha="0" * 40,
        commit_time="2026-12-01T00:00:00+00:00",
        built_at="2026-12-01T00:00:00+00:00",
        path=f"/nonexistent/{release_id}",
    )


def fake_context(
    env: str,
    router: FakeRouter,
    host: FakeSlotHost,
    metrics: MetricsSource | None = None,
) -> DeployContext:
    """A deploy context on the fakes (the router's supervisor, no restore points)."""
    return DeployContext(
        config=EnvConfig(name=env),
        supervisor=router.supervisor,
        router=router,
        restore=NoRestorePoints(),
        load_release=fake_release,
        slot_host=host,
        metrics_source=metrics,
        pause_control=ScriptedPauses(),
    )


class ScriptedPauses:
    """A `PauseControl` answering each pause with the next scripted action."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.waits: list[tuple[str, float]] = []

    def wait(self, deploy_id: str, timeout_s: float) -> str:
        self.waits.append((deploy_id, timeout_s))
        return self.answers.pop(0) if self.answers else "timeout"
