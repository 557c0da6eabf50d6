"""One deploy, start to finish: pre-flight, idle slot, smoke, weighted steps with analysis,
then promotion (drain and stop the old slot) or rollback (and measuring the recovery)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fixiactl.deploy import analysis, dora, evidence, requirements, slots, smoke
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, Judgement, Thresholds
from fixiactl.deploy.contract import run_contract, slot_env
from fixiactl.deploy.haproxy import Runtime
from fixiactl.deploy.journal import Journal, Slots
from fixiactl.deploy.metrics import MetricsSource, Snapshot, first_snapshot
from fixiactl.deploy.preflight import (
    BackupRestorePoints,
    GateResult,
    RestorePoints,
    check_stack,
    migration_gate,
)
from fixiactl.deploy.prometheus import open_source
from fixiactl.deploy.recovery import measure_recovery
from fixiactl.deploy.releases import Release, load
from fixiactl.deploy.window import Reading, StepWindow
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import load_env, read_state, state_dir

Progress = Callable[[str], None]


@dataclass
class DeployOptions:
    env: str
    release_id: str
    strategy: str = "canary"
    steps: list[int] = field(default_factory=lambda: [5, 25, 50, 100])
    tick_s: float = 1.0
    step_hold_s: float = 10.0
    step_deadline_s: float = 120.0
    ready_timeout_s: float = 60.0
    drain_timeout_s: float = 30.0
    recovery_timeout_s: float = 30.0
    allow_contract: bool = False
    fast_track: bool = False  # rollback: no smoke, no analysis hold
    rollback_of: str | None = None  # the deploy a `fixiactl rollback` undoes
    promoted_from: str | None = None  # `fixiactl promote`: the stage the release passed
    metrics_source: str | None = None  # slots|prometheus; None: the environment's setting
    budget: dict[str, Any] | None = None  # the error-budget decision (fixiactl.deploy.budget)


class StepFailed(Exception):
    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


class Deployer:
    def __init__(
        self,
        opts: DeployOptions,
        progress: Progress,
        *,
        thresholds: Thresholds | None = None,
        metrics: MetricsSource | None = None,
        restore: RestorePoints | None = None,
    ) -> None:
        self.opts = opts
        self.say = progress
        self.release: Release = load(opts.release_id)
        # Before the stack is even looked at: what the environment refuses, said plainly.
        requirements.check(load_env(opts.env), self.release)
        self.stack = read_state(opts.env)
        self.runtime = Runtime(state_dir(opts.env))
        # A fast-track rollback analyses nothing: it must not depend on Prometheus being up.
        kind = "slots" if opts.fast_track else opts.metrics_source
        self.metrics = metrics or open_source(opts.env, self.stack.ports, kind)
        self.thresholds = thresholds or analysis.load_thresholds()
        self.restore = restore or BackupRestorePoints()
        self.slots = Slots.load(opts.env)
        self.id = f"d{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(2)}"
        self.journal = Journal(opts.env, self.id)
        self.active, self.idle = self.slots.active, self.slots.idle
        self.summary: dict[str, Any] = {"deploy_id": self.id, "release": self.release.id}
        self.first_shift: float | None = None
        self.gate = GateResult()
        self.restore_point: str | None = None

    # -- the whole deploy -------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        opts, serving = self.opts, self.slots.releases[self.active]
        if serving == self.release.id:
            raise FixiactlError(f"release {self.release.id} already serves in {opts.env}")
        check_stack(opts.env, self.active)
        self.gate = gate = migration_gate(
            opts.env, self.stack, self.release, str(serving), allow_contract=opts.allow_contract
        )
        # Read before anything changes: a source still without a first scrape is waited for
        # (bounded); one that stays unreachable stops the deploy here, clearly.
        base0 = first_snapshot(self.metrics, self.active) or Snapshot()
        started = time.monotonic()
        self.journal.event(
            "started",
            release=self.release.id,
            from_release=serving,
            strategy=opts.strategy,
            steps=opts.steps,
            git_sha=self.release.git_sha,
            commit_time=self.release.commit_time,
            migrations=gate.as_dict(),
            fast_track=opts.fast_track,
            promoted_from=opts.promoted_from,
            metrics_source=self.metrics.name,
            budget=opts.budget,
        )
        front0 = self.runtime.front_door()
        try:
            self._prepare(str(serving))
            pre = (self.metrics.snapshot(self.active) or Snapshot()).minus(base0)
            self.journal.record("pre_deploy_baseline", snapshot=pre.as_dict())
            outcome = self._shift(pre, started)
        except StepFailed as exc:
            self._abandon_idle()
            outcome = {"result": "failed", "stage": exc.stage, "reason": exc.reason}
        except FixiactlError as exc:  # e.g. a migration failed: still a recorded failure
            self._abandon_idle()
            outcome = {"result": "failed", "stage": "prepare", "reason": exc.message}
        front1 = self.runtime.front_door()
        outcome |= {
            "strategy": opts.strategy,
            "rollback_of": opts.rollback_of,
            "promoted_from": opts.promoted_from,
            "commit_time": self.release.commit_time,
            "requests": front1[0] - front0[0],
            "failed_requests": front1[1] - front0[1],
            "duration_s": round(time.monotonic() - started, 2),
        }
        self.journal.event(outcome["result"], release=self.release.id, **outcome)
        dora.write_textfile(opts.env)
        return self.summary | outcome

    # -- before any traffic -----------------------------------------------------------------
    def _prepare(self, serving: str) -> None:
        opts, idle, plan = self.opts, self.idle, self.gate.plan
        self.restore_point = self.restore.create(opts.env, f"before-{self.id}")
        self.journal.record("restore_point", name=self.restore_point)
        if plan.start_target:
            before = [m.revision for m in plan.before_start]
            self.say(f"migrating before {idle} starts: {', '.join(before)}")
            slots.migrate(opts.env, self.stack, self.release, plan.start_target)
            self.journal.record("migrated", phase="before_start", revisions=before)
        if plan.after_retire:
            deferred = [m.revision for m in plan.after_retire]
            self.say(f"deferring {', '.join(deferred)} until {serving} has retired")
            self.journal.record("deferred", revisions=deferred, until_retired=serving)
        self.say(f"starting {idle} on {self.release.id}")
        slots.stop(opts.env, idle)
        self.runtime.set_weight(idle, 0)
        self.runtime.set_state(idle, "ready")
        slots.point(opts.env, self.stack, idle, self.release, slot_env(plan))
        try:
            slots.start(opts.env, idle)
        except FixiactlError as exc:
            raise StepFailed("start", exc.message) from exc
        if not slots.wait_ready(self.stack.ports[idle], opts.ready_timeout_s):
            raise StepFailed("readiness", f"{idle} not ready within {opts.ready_timeout_s:.0f} s")
        if not self.runtime.wait_up(idle, opts.ready_timeout_s):
            raise StepFailed("readiness", f"HAProxy never saw {idle} UP")
        if not opts.fast_track:
            self.say(f"smoke tests against {idle}")
            try:
                passed = smoke.run(self.stack.ports[idle], self.release.id)
            except FixiactlError as exc:
                # The answer's body goes into the journal: a smoke failure must say why.
                detail = f"{exc.message}: {exc.hint}" if exc.hint else exc.message
                raise StepFailed("smoke", detail) from exc
            self.journal.record("smoke", passed=passed)

    # -- traffic ----------------------------------------------------------------------------
    def _shift(self, pre: Snapshot, started: float) -> dict[str, Any]:
        baseline = pre
        for weight in self.opts.steps:
            self._weights(weight)
            if weight == self.opts.steps[-1]:
                self.summary["time_to_full_traffic_s"] = round(time.monotonic() - started, 2)
            if self.opts.fast_track:
                continue
            judgement, baseline = self._analyse(weight, baseline)
            if judgement.verdict == FAIL:
                return self._roll_back(pre, weight, judgement)
        retired = [self.slots.releases[self.active], self.slots.previous]
        self._retire(self.active)
        self.slots.previous = self.slots.releases[self.active]
        self.slots.releases[self.idle] = self.release.id
        self.slots.active = self.idle
        self.slots.save(self.opts.env)
        outcome: dict[str, Any] = {"result": "promoted", "slot": self.idle}
        if self.gate.plan.after_retire:  # the old release no longer serves: contract now
            self.say(f"contract migrations now that {retired[0]} has retired")
            outcome |= run_contract(
                env=self.opts.env,
                stack=self.stack,
                release=self.release,
                plan=self.gate.plan,
                slots=self.slots,
                retired=retired,
                journal=self.journal,
                restore_point=self.restore_point,
            )
        return outcome

    def _weights(self, weight: int) -> None:
        # Raise the new slot first: both weights are never zero at the same time.
        self.first_shift = self.first_shift or time.monotonic()
        self.runtime.set_weight(self.idle, weight)
        self.runtime.set_weight(self.active, 100 - weight)
        self.journal.record("shift", weight=weight, slot=self.idle)
        self.say(f"{self.idle} at {weight} % of traffic")

    def _analyse(self, weight: int, fallback: Snapshot) -> tuple[Judgement, Snapshot]:
        """Measure until the step's hold time is covered by samples with enough data, or a
        FAIL. With every request on the canary (100 %), the last baseline measured stands in.
        The hold counts sample time, not wall time: a Prometheus source's scrape lag never
        shortens the data a PASS rests on."""
        opts = self.opts
        window = StepWindow(
            self.metrics, self.idle, self.active if weight < 100 else None, time.time()
        )
        window.read()  # opens the window at once when the source reads on demand
        start, baseline = time.monotonic(), fallback
        while True:
            time.sleep(opts.tick_s)
            elapsed = time.monotonic() - start
            reading = window.read()
            if reading.slot_down:
                j = Judgement(FAIL, [reading.why])
                return self._evidence(weight, reading, baseline, j, elapsed), baseline
            baseline = reading.baseline or baseline
            if reading.canary is None:
                j = Judgement(INSUFFICIENT_DATA, [reading.why])
            else:
                j = analysis.judge(reading.canary, baseline, self.thresholds)
            self.journal.record(
                "measurement",
                step=weight,
                elapsed_s=round(elapsed, 2),
                covered_s=round(reading.covered_s, 2),
                source=self.metrics.name,
                canary=(reading.canary or Snapshot()).as_dict(),
                baseline=baseline.as_dict(),
                **j.as_dict(),
            )
            self.say(f"step {weight} %: {j.verdict} ({'; '.join(j.reasons)[:100]})")
            if j.verdict == FAIL:
                return self._evidence(weight, reading, baseline, j, elapsed), baseline
            if j.verdict == INSUFFICIENT_DATA and elapsed > opts.step_deadline_s:
                j.verdict = FAIL
                j.reasons.append(f"still too little data after {opts.step_deadline_s:.0f} s")
                return self._evidence(weight, reading, baseline, j, elapsed), baseline
            if j.verdict != INSUFFICIENT_DATA and reading.covered_s >= opts.step_hold_s:
                return self._evidence(weight, reading, baseline, j, elapsed), baseline

    def _evidence(
        self, weight: int, reading: Reading, baseline: Snapshot, j: Judgement, elapsed: float
    ) -> Judgement:
        """The step's deciding verdict, written with all it rests on (replayable)."""
        window = evidence.Window(
            step=weight,
            hold_s=self.opts.step_hold_s,
            deadline_s=self.opts.step_deadline_s,
            covered_s=reading.covered_s,
            elapsed_s=elapsed,
            source=self.metrics.name,
            slot_down=reading.slot_down,
        )
        path = evidence.write(
            self.opts.env,
            self.id,
            canary=reading.canary or Snapshot(),
            baseline=baseline,
            thresholds=self.thresholds,
            window=window,
            judgement=j,
        )
        self.journal.record("evidence", step=weight, verdict=j.verdict, file=path.name)
        return j

    def _roll_back(self, pre: Snapshot, weight: int, judgement: Judgement) -> dict[str, Any]:
        t0 = time.monotonic()
        self.runtime.set_weight(self.active, 100)
        self.runtime.set_weight(self.idle, 0)
        self.journal.record("rollback", step=weight, reasons=judgement.reasons)
        self.say(f"rolled back at {weight} %: {'; '.join(judgement.reasons)}")
        self._retire(self.idle)
        recovery = measure_recovery(
            self.metrics, self.active, pre, self.thresholds, self.opts.recovery_timeout_s
        )
        self.journal.record("recovery", **recovery)
        exposed_since = self.first_shift or t0
        return {
            "time_to_restore_s": round(time.monotonic() - exposed_since, 2),
            "result": "rolled_back",
            "step": weight,
            "reasons": judgement.reasons,
            "rollback_s": round(time.monotonic() - t0, 2),
            "recovery": recovery,
        }

    def _retire(self, slot: str) -> None:
        drained = slots.retire(self.opts.env, self.runtime, slot, self.opts.drain_timeout_s)
        self.journal.record("drained", slot=slot, clean=drained)

    def _abandon_idle(self) -> None:
        self.runtime.set_weight(self.idle, 0)
        slots.stop(self.opts.env, self.idle)
