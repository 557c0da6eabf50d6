"""One deploy, start to finish: pre-flight, idle slot, smoke, weighted steps with analysis,
then promotion (drain and stop the old slot) or rollback (and measuring the recovery)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fixiactl.deploy import analysis, dora, evidence, pause, requirements, slots
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, Judgement, Thresholds
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.contract import run_contract, slot_env
from fixiactl.deploy.metrics import Snapshot, first_snapshot
from fixiactl.deploy.preflight import GateResult, check_stack
from fixiactl.deploy.recovery import measure_recovery
from fixiactl.deploy.releases import Release
from fixiactl.deploy.results import DeployResult, Outcome
from fixiactl.deploy.routing import Routing
from fixiactl.deploy.window import Reading, StepWindow, step_outcome
from fixiactl.errors import FixiactlError

Progress = Callable[[str], None]


@dataclass
class DeployOptions:
    release_id: str
    strategy: str = "canary"
    steps: list[int] = field(default_factory=lambda: [5, 25, 50, 100])
    tick_s: float = 1.0
    step_hold_s: float = 10.0
    step_deadline_s: float = 120.0
    ready_timeout_s: float = 60.0
    drain_timeout_s: float = 30.0
    recovery_timeout_s: float = 30.0
    recovery_window_s: float = 2.0  # how often recovery is measured after a rollback
    allow_contract: bool = False
    fast_track: bool = False  # rollback: no smoke, no analysis hold
    rollback_of: str | None = None  # the deploy a `fixiactl rollback` undoes
    promoted_from: str | None = None  # `fixiactl promote`: the stage the release passed
    metrics_source: str | None = None  # slots|prometheus; None: the environment's setting
    budget: dict[str, Any] | None = None  # the error-budget decision (fixiactl.deploy.budget)
    # Routing modes (fixiactl.deploy.routing, docs/operations/deploy.md).
    sticky: bool = False  # whoever the new slot served stays on it until the deploy ends
    mirror_s: float = 0.0  # mirrored GETs analysed before the first step; 0: no mirroring
    on_failure: str = "abort"  # or "pause": hold on stable, wait for `deploy resume|abort`
    pause_timeout_s: float = 900.0  # a pause nobody answers ends as an abort


class StepFailed(Exception):
    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


class Deployer:
    def __init__(
        self,
        ctx: DeployContext,
        opts: DeployOptions,
        progress: Progress,
        *,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.ctx, self.env = ctx, ctx.env
        self.opts = opts
        self.say = progress
        self.release: Release = ctx.release(opts.release_id)
        # Before the stack is even looked at: what the environment refuses, said plainly.
        requirements.check(ctx.config, self.release)
        self.router, self.supervisor = ctx.router, ctx.supervisor
        # A fast-track rollback analyses nothing: it must not depend on Prometheus being up.
        self.metrics = ctx.metrics("slots" if opts.fast_track else opts.metrics_source)
        self.thresholds = thresholds or analysis.load_thresholds()
        self.slots = ctx.slots()
        self.id = f"d{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(2)}"
        self.journal = ctx.journal(self.id)
        self.active, self.idle = self.slots.active, self.slots.idle
        self.time_to_full_traffic_s: float | None = None
        self.first_shift: float | None = None
        self.gate = GateResult()
        self.restore_point: str | None = None
        self.routing = Routing(
            self.router,
            self.journal,
            self.say,
            deploy_id=self.id,
            canary=self.idle,
            sticky=opts.sticky,
        )
        self.extra: Outcome = {"result": ""}  # mirror and pause facts for the result
        self._baseline = Snapshot()  # the latest baseline measured (stands in at 100 %)

    # -- the whole deploy -------------------------------------------------------------------
    def run(self) -> DeployResult:
        opts, serving = self.opts, self.slots.releases[self.active]
        if serving == self.release.id:
            raise FixiactlError(f"release {self.release.id} already serves in {self.env}")
        check_stack(self.env, self.active, self.supervisor, self.router)
        self.gate = gate = self.ctx.host.gate(
            self.release, str(serving), allow_contract=opts.allow_contract
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
        front0 = self.router.front_door()
        outcome: Outcome
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
        front1 = self.router.front_door()
        outcome = {**self.extra, **outcome}
        # Only the figures this deploy has: no budget (the CLI adds it), no full-traffic time
        # unless it got there.
        result: DeployResult = {
            "deploy_id": self.id,
            "release": self.release.id,
            **outcome,  # type: ignore[typeddict-item]
            "strategy": opts.strategy,
            "rollback_of": opts.rollback_of,
            "promoted_from": opts.promoted_from,
            "commit_time": self.release.commit_time,
            "requests": front1[0] - front0[0],
            "failed_requests": front1[1] - front0[1],
            "duration_s": round(time.monotonic() - started, 2),
        }
        # The event carries the outcome and its figures; the journal adds the deploy's id.
        event = {k: v for k, v in result.items() if k not in ("deploy_id", "release")}
        self.journal.event(result["result"], release=self.release.id, **event)
        dora.write_textfile(self.env)
        if self.time_to_full_traffic_s is not None:
            result["time_to_full_traffic_s"] = self.time_to_full_traffic_s
        return result

    # -- before any traffic -----------------------------------------------------------------
    def _prepare(self, serving: str) -> None:
        opts, idle, plan = self.opts, self.idle, self.gate.plan
        self.restore_point = self.ctx.restore.create(self.env, f"before-{self.id}")
        self.journal.record("restore_point", name=self.restore_point)
        if plan.start_target:
            before = [m.revision for m in plan.before_start]
            self.say(f"migrating before {idle} starts: {', '.join(before)}")
            self.ctx.host.migrate(self.release, plan.start_target)
            self.journal.record("migrated", phase="before_start", revisions=before)
        if plan.after_retire:
            deferred = [m.revision for m in plan.after_retire]
            self.say(f"deferring {', '.join(deferred)} until {serving} has retired")
            self.journal.record("deferred", revisions=deferred, until_retired=serving)
        self.say(f"starting {idle} on {self.release.id}")
        slots.stop(self.env, idle, self.supervisor)
        self.router.set_weight(idle, 0)
        self.router.set_state(idle, "ready")
        self.ctx.host.point(idle, self.release, slot_env(plan))
        try:
            slots.start(self.env, idle, self.supervisor)
        except FixiactlError as exc:
            raise StepFailed("start", exc.message) from exc
        if not self.ctx.host.ready(idle, opts.ready_timeout_s):
            raise StepFailed("readiness", f"{idle} not ready within {opts.ready_timeout_s:.0f} s")
        if not self.router.wait_up(idle, opts.ready_timeout_s):
            raise StepFailed("readiness", f"HAProxy never saw {idle} UP")
        if not opts.fast_track:
            self.say(f"smoke tests against {idle}")
            try:
                passed = self.ctx.host.smoke(idle, self.release.id)
            except FixiactlError as exc:
                # The answer's body goes into the journal: a smoke failure must say why.
                detail = f"{exc.message}: {exc.hint}" if exc.hint else exc.message
                raise StepFailed("smoke", detail) from exc
            self.journal.record("smoke", passed=passed)

    # -- traffic ----------------------------------------------------------------------------
    def _shift(self, pre: Snapshot, started: float) -> Outcome:
        self._baseline = pre
        if self.opts.mirror_s > 0 and not self.opts.fast_track:
            judgement = self._until_decided(0, self._mirror)
            if judgement.verdict == FAIL:  # before any real traffic reached the new slot
                return self._roll_back(pre, 0, judgement)
        if not self.opts.fast_track:
            self._route_on()  # staff first: the header and cookie reach it from now on
        for weight in self.opts.steps:
            self._weights(weight)
            if weight == self.opts.steps[-1]:
                self.time_to_full_traffic_s = round(time.monotonic() - started, 2)
            if self.opts.fast_track:
                continue
            judgement = self._until_decided(weight, partial(self._step, weight))
            if judgement.verdict == FAIL:
                return self._roll_back(pre, weight, judgement)
        # A pinned request still reaches a draining slot: routing off before retiring.
        self.routing.off()
        retired = [self.slots.releases[self.active], self.slots.previous]
        self._retire(self.active)
        self.slots.previous = self.slots.releases[self.active]
        self.slots.releases[self.idle] = self.release.id
        self.slots.active = self.idle
        self.slots.save(self.env)
        outcome: Outcome = {"result": "promoted", "slot": self.idle}
        if self.gate.plan.after_retire:  # the old release no longer serves: contract now
            self.say(f"contract migrations now that {retired[0]} has retired")
            # The contract's keys are a subset of the outcome's (mypy cannot see it: `result`
            # is required in one and optional in the other).
            outcome |= run_contract(  # type: ignore[typeddict-item]
                self.ctx,
                release=self.release,
                plan=self.gate.plan,
                slots=self.slots,
                retired=retired,
                journal=self.journal,
                restore_point=self.restore_point,
            )
        return outcome

    def _route_on(self) -> None:
        try:
            self.routing.on()
        except FixiactlError as exc:
            raise StepFailed("routing", exc.message) from exc

    def _mirror(self) -> Judgement:
        o = self.opts
        m = self.routing.mirror(
            self.metrics,
            self.active,
            self.thresholds,
            hold_s=o.mirror_s,
            deadline_s=o.step_deadline_s,
            tick_s=o.tick_s,
        )
        reading = Reading(canary=m.canary, baseline=m.baseline, covered_s=m.elapsed_s)
        j = self._evidence(0, reading, m.baseline, m.judgement, m.elapsed_s)
        self.extra["mirror"] = {**m.mirrored.as_dict(), "verdict": j.verdict}
        return j

    def _step(self, weight: int) -> Judgement:
        judgement, self._baseline = self._analyse(weight, self._baseline)
        return judgement

    def _until_decided(self, weight: int, check: Callable[[], Judgement]) -> Judgement:
        """`check`'s verdict; with --on-failure pause, a FAIL first pauses the deploy and
        `deploy resume` measures the same step again (`abort` or the timeout: the FAIL)."""
        while True:
            judgement = check()
            if judgement.verdict != FAIL or self.opts.on_failure != "pause":
                return judgement
            action = self._pause(weight, judgement)
            if action != "resume":
                judgement.reasons.append(
                    "aborted by the operator"
                    if action == "abort"
                    else f"paused {self.opts.pause_timeout_s:.0f} s with no resume: aborted"
                )
                return judgement
            if weight:
                self._route_on()
                self._weights(weight)

    def _pause(self, weight: int, judgement: Judgement) -> str:
        # Traffic back on the stable slot, the new one kept running for a look at it.
        self.routing.off()
        self.router.set_weight(self.active, 100)
        self.router.set_weight(self.idle, 0)
        paused = pause.hold(self.ctx.pauses, self.journal, self.say, self.release.id, weight,
                            judgement.reasons, self.opts.pause_timeout_s)  # fmt: skip
        self.extra.setdefault("pauses", []).append(paused)
        return str(paused["action"])

    def _weights(self, weight: int) -> None:
        # Raise the new slot first: both weights are never zero at the same time.
        self.first_shift = self.first_shift or time.monotonic()
        self.router.set_weight(self.idle, weight)
        self.router.set_weight(self.active, 100 - weight)
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
            outcome = step_outcome(
                j.verdict, reading.covered_s, elapsed, opts.step_hold_s, opts.step_deadline_s
            )
            if outcome is None:
                continue
            if outcome != j.verdict:
                j.verdict = outcome
                j.reasons.append(f"still too little data after {opts.step_deadline_s:.0f} s")
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
            self.env,
            self.id,
            canary=reading.canary or Snapshot(),
            baseline=baseline,
            thresholds=self.thresholds,
            window=window,
            judgement=j,
        )
        self.journal.record("evidence", step=weight, verdict=j.verdict, file=path.name)
        return j

    def _roll_back(self, pre: Snapshot, weight: int, judgement: Judgement) -> Outcome:
        t0 = time.monotonic()
        self.routing.off()  # pinned and staff users back to the stable slot with the rest
        self.router.set_weight(self.active, 100)
        self.router.set_weight(self.idle, 0)
        self.journal.record("rollback", step=weight, reasons=judgement.reasons)
        self.say(f"rolled back at {weight} %: {'; '.join(judgement.reasons)}")
        self._retire(self.idle)
        recovery = measure_recovery(
            self.metrics,
            self.active,
            pre,
            self.thresholds,
            self.opts.recovery_timeout_s,
            window_s=self.opts.recovery_window_s,
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
        drained = slots.retire(self.supervisor, self.router, slot, self.opts.drain_timeout_s)
        self.journal.record("drained", slot=slot, clean=drained)

    def _abandon_idle(self) -> None:
        self.routing.off()
        self.router.set_weight(self.idle, 0)
        slots.stop(self.env, self.idle, self.supervisor)
