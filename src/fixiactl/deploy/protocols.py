"""The systems a deploy drives, as interfaces: traffic (HAProxy's runtime API), processes
(supervisord) and the slot's own host work (files, schema, HTTP checks). The real
implementations are `haproxy.Runtime`, `stack.supervisor.Supervisor` and
`slots.StackSlotHost`; in-memory fakes for the engine's unit tests are in `fakes.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

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
