"""The systems a deploy drives, as interfaces: traffic (HAProxy's runtime API), processes
(supervisord) and the slot's own host work (files, schema, HTTP checks). The real
implementations are `haproxy.Runtime`, `stack.supervisor.Supervisor` and
`slots.StackSlotHost`; in-memory fakes for the engine's unit tests are in `fakes.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fixiactl.deploy.metrics import Snapshot

if TYPE_CHECKING:
    from fixiactl.deploy.preflight import GateResult
    from fixiactl.deploy.releases import Release


@dataclass
class ServerStat:
    name: str
    status: str
    weight: int
    sessions: int
    total: int
    hrsp_5xx: int
    econ: int
    eresp: int


# The mirror's latency buckets (deploy/haproxy/mirror.lua): the app's own
# (fixia.observability.metrics.LATENCY_BUCKETS) without +Inf, so that the analysis compares
# mirrored answers with the stable slot's histogram bucket by bucket.
MIRROR_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)


@dataclass
class MirrorStats:
    """What the router's mirror did, cumulative: GETs copied to the new slot, their answers
    (5xx among them), copies that got no answer, and copies skipped because too many were
    in flight. `buckets` maps an upper bound to the number answered within it (cumulative,
    as in the exposition format)."""

    sent: int = 0
    answered: int = 0
    errors: int = 0
    failed: int = 0
    skipped: int = 0
    buckets: dict[float, float] = field(default_factory=dict)

    def minus(self, earlier: MirrorStats) -> MirrorStats:
        return MirrorStats(
            sent=self.sent - earlier.sent,
            answered=self.answered - earlier.answered,
            errors=self.errors - earlier.errors,
            failed=self.failed - earlier.failed,
            skipped=self.skipped - earlier.skipped,
            buckets={le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
        )

    def snapshot(self) -> Snapshot:
        """As a canary's traffic for the analysis: a copy without an answer is a failure."""
        return Snapshot(
            requests=self.answered + self.failed,
            errors=self.errors + self.failed,
            buckets=dict(self.buckets),
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "answered": self.answered,
            "errors": self.errors,
            "failed": self.failed,
            "skipped": self.skipped,
        }


class TrafficRouter(Protocol):
    """Weights and states of the two slots in the load balancer; never a reload."""

    def set_weight(self, slot: str, weight: int) -> None: ...

    def set_state(self, slot: str, state: str) -> None:
        """`ready`, `drain` or `maint`."""

    def stats(self) -> dict[str, ServerStat]: ...

    def front_door(self) -> tuple[int, int]:
        """(requests, 5xx answers) as clients saw them, since the router started."""

    def wait_up(self, slot: str, timeout_s: float) -> bool: ...

    def wait_no_sessions(self, slot: str, timeout_s: float) -> bool: ...

    def check_config(self) -> str | None:
        """None when the router's configuration is valid, else why not."""

    def set_routing(self, canary: str | None, sticky: str | None) -> None:
        """Send requests asking for the canary (header or cookie) to `canary` whatever its
        weight, and, while `sticky` (a deploy id) is set, keep everyone the canary served on
        it. None turns each off."""

    def set_mirror(self, slot: str | None) -> None:
        """Copy safe requests to `slot`, answers discarded; None stops."""

    def mirror_stats(self) -> MirrorStats: ...


class ProcessSupervisor(Protocol):
    """Starts and stops the stack's named programs (`app-blue`, `worker-green`...)."""

    def running(self) -> bool: ...

    def start(self, name: str) -> None:
        """Raises FixiactlError when the program does not start."""

    def stop(self, name: str) -> None: ...

    def info(self, name: str) -> dict[str, Any]:
        """At least `statename` (RUNNING, STOPPED, EXITED, ...)."""


class SlotHost(Protocol):
    """What a slot needs besides its processes: its files, the schema, HTTP checks."""

    def point(self, slot: str, release: Release, extra: dict[str, str]) -> None:
        """Retarget the (stopped) slot at `release`, with `extra` environment settings."""

    def migrate(self, release: Release, revision: str) -> str:
        """Run the release's migrations up to `revision`; FixiactlError on failure."""

    def gate(self, release: Release, serving: str, *, allow_contract: bool) -> GateResult:
        """The release's pending migrations, classified and planned (may refuse)."""

    def ready(self, slot: str, timeout_s: float) -> bool: ...

    def smoke(self, slot: str, release_id: str) -> list[str]:
        """The smoke checks that passed; FixiactlError on the first failure."""


class PauseControl(Protocol):
    """The operator's answer to a paused deploy (`fixiactl deploy resume|abort ID`)."""

    def wait(self, deploy_id: str, timeout_s: float) -> str:
        """`resume`, `abort`, or `timeout` when no answer came within timeout_s."""
