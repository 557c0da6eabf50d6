"""Everything one deploy command works with, built once: the environment's settings, its
stack, and the systems it drives behind their interfaces (fixiactl.deploy.protocols).

`DeployContext.open(env)` wires the real ones; the engine's unit tests build one from the
fakes in `fakes.py`. The stack's state is read on first use, not at construction: a
release the environment refuses is refused before anything asks whether a stack runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fixiactl.deploy import releases, slots, smoke
from fixiactl.deploy.haproxy import Runtime
from fixiactl.deploy.journal import Journal, Slots
from fixiactl.deploy.metrics import MetricsSource
from fixiactl.deploy.pause import FilePauseControl
from fixiactl.deploy.preflight import (
    BackupRestorePoints,
    GateResult,
    RestorePoints,
    migration_gate,
)
from fixiactl.deploy.prometheus import open_source
from fixiactl.deploy.protocols import PauseControl, ProcessSupervisor, SlotHost, TrafficRouter
from fixiactl.deploy.releases import Release
from fixiactl.stack.config import EnvConfig, StackState, load_env, read_state, state_dir
from fixiactl.stack.supervisor import Supervisor


class StackSlotHost:
    """The real `SlotHost`: the slot's files under the state directory, the release's own
    migrations against the stack's PostgreSQL, HTTP on the slot's own port."""

    def __init__(self, config: EnvConfig, stack: StackState) -> None:
        self.config = config
        self.stack = stack

    def point(self, slot: str, release: Release, extra: dict[str, str]) -> None:
        slots.point(self.config, self.stack, slot, release, extra)

    def migrate(self, release: Release, revision: str) -> str:
        return slots.migrate(self.config, self.stack, release, revision)

    def gate(self, release: Release, serving: str, *, allow_contract: bool) -> GateResult:
        return migration_gate(
            self.config.name, self.stack, release, serving, allow_contract=allow_contract
        )

    def ready(self, slot: str, timeout_s: float) -> bool:
        return slots.wait_ready(self.stack.ports[slot], timeout_s)

    def smoke(self, slot: str, release_id: str) -> list[str]:
        return smoke.run(self.stack.ports[slot], release_id)


@dataclass
class DeployContext:
    config: EnvConfig
    supervisor: ProcessSupervisor
    router: TrafficRouter
    restore: RestorePoints = field(default_factory=BackupRestorePoints)
    load_release: Callable[[str], Release] | None = None  # None: releases.load
    stack_state: StackState | None = None
    slot_host: SlotHost | None = None
    # Given: every deploy of this context reads it; None: opened per deploy (open_source).
    metrics_source: MetricsSource | None = None
    pause_control: PauseControl | None = None  # None: the operator's answer file
    _releases: dict[str, Release] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, env: str) -> DeployContext:
        state = state_dir(env)
        return cls(config=load_env(env), supervisor=Supervisor(state), router=Runtime(state))

    @property
    def env(self) -> str:
        return self.config.name

    @property
    def stack(self) -> StackState:
        if self.stack_state is None:
            self.stack_state = read_state(self.env)
        return self.stack_state

    @property
    def host(self) -> SlotHost:
        if self.slot_host is None:
            self.slot_host = StackSlotHost(self.config, self.stack)
        return self.slot_host

    @property
    def pauses(self) -> PauseControl:
        if self.pause_control is None:
            self.pause_control = FilePauseControl(self.env)
        return self.pause_control

    def release(self, release_id: str) -> Release:
        if release_id not in self._releases:
            load = self.load_release or releases.load
            self._releases[release_id] = load(release_id)
        return self._releases[release_id]

    def metrics(self, kind: str | None) -> MetricsSource:
        """`kind` (slots|prometheus), else the environment's `metrics_source`."""
        if self.metrics_source is not None:
            return self.metrics_source
        return open_source(self.config, self.stack.ports, kind)

    def slots(self) -> Slots:
        return Slots.load(self.env)

    def journal(self, deploy_id: str) -> Journal:
        return Journal(self.env, deploy_id)
