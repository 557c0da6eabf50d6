"""The deploy engine's decisions, driven through in-memory fakes (fixiactl.deploy.fakes): no
stack, no sockets. The journal, evidence and slots.json go to a temporary state root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, PASS, Thresholds
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.engine import Deployer, DeployOptions
from fixiactl.deploy.fakes import (
    Behaviour,
    FakeRouter,
    FakeSlotHost,
    FakeSupervisor,
    FakeTraffic,
    fake_context,
)
from fixiactl.deploy.journal import Slots, deploy_events, deploy_records
from fixiactl.errors import FixiactlError

ENV = "unit-deploy"
# Every key `deploy --json` printed before the results were typed (tests and docs read them).
ALWAYS = {
    "deploy_id",
    "release",
    "result",
    "strategy",
    "rollback_of",
    "promoted_from",
    "commit_time",
    "requests",
    "failed_requests",
    "duration_s",
}


@dataclass
class World:
    ctx: DeployContext
    supervisor: FakeSupervisor
    router: FakeRouter
    host: FakeSlotHost
    traffic: FakeTraffic
    said: list[str]

    def deploy(self, release_id: str, **options: object) -> Deployer:
        opts = DeployOptions(
            release_id=release_id,
            tick_s=0.005,
            step_hold_s=3.0,
            step_deadline_s=0.3,
            recovery_timeout_s=1.0,
            recovery_window_s=0.0,
        )
        for key, value in options.items():
            setattr(opts, key, value)
        return Deployer(self.ctx, opts, self.said.append, thresholds=Thresholds())


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    supervisor = FakeSupervisor()
    router = FakeRouter(supervisor)
    host = FakeSlotHost()
    traffic = FakeTraffic(router, host, {"bad": Behaviour(error_rate=0.3)})
    return World(fake_context(ENV, router, host, traffic), supervisor, router, host, traffic, [])


def records(kind: str, deploy_id: str) -> list[dict[str, object]]:
    return [r for r in deploy_records(ENV, deploy_id) if r["kind"] == kind]


def green_weights(router: FakeRouter) -> list[int | str]:
    return [w for what, slot, w in router.history if what == "weight" and slot == "green"]


def test_a_healthy_canary_goes_through_every_step_and_is_promoted(world: World) -> None:
    deployer = world.deploy("r2")
    result = deployer.run()

    assert result["result"] == "promoted"
    assert result["slot"] == "green"
    assert set(result) >= ALWAYS and "time_to_full_traffic_s" in result
    assert result["requests"] > 0 and result["failed_requests"] == 0
    # Step by step, each step's deciding verdict (never FAIL) written before the next shift.
    order = [
        (r["kind"], r.get("weight", r.get("step")))
        for r in deploy_records(ENV, deployer.id)
        if r["kind"] in ("shift", "evidence")
    ]
    assert order == [(k, w) for w in (5, 25, 50, 100) for k in ("shift", "evidence")]
    assert {r["verdict"] for r in records("evidence", deployer.id)} <= {PASS, "INCONCLUSIVE"}
    # The old slot drained and stopped; the new one serves everything.
    assert world.router.weights == {"blue": 0, "green": 100}
    assert world.supervisor.states["app-blue"] == "STOPPED"
    assert world.supervisor.states["app-green"] == "RUNNING"
    assert world.host.pointed["green"] == "r2"
    slots = Slots.load(ENV)
    assert (slots.active, slots.releases["green"], slots.previous) == ("green", "r2", "dev")
    assert [e["event"] for e in deploy_events(ENV)] == ["started", "promoted"]


def test_a_canary_failing_requests_is_rolled_back_at_the_first_step(world: World) -> None:
    deployer = world.deploy("bad")
    result = deployer.run()

    assert result["result"] == "rolled_back"
    assert result["step"] == 5
    assert "error rate" in " ".join(result["reasons"])
    assert set(result) >= ALWAYS
    assert 5 in green_weights(world.router) and 25 not in green_weights(world.router)
    assert world.router.weights == {"blue": 100, "green": 0}
    assert world.supervisor.states["app-green"] == "STOPPED"
    # The baseline was measured back to its pre-deploy level after the rollback.
    assert result["recovery"]["recovered"] is True
    slots = Slots.load(ENV)
    assert (slots.active, slots.releases["blue"], slots.previous) == ("blue", "dev", None)
    assert [e["event"] for e in deploy_events(ENV)] == ["started", "rolled_back"]


def test_without_traffic_a_step_never_passes_and_fails_at_its_deadline(world: World) -> None:
    world.traffic.per_read = 0
    deployer = world.deploy("r2")
    result = deployer.run()

    measured = records("measurement", deployer.id)
    assert len(measured) > 1  # the step was extended, not decided on the first look
    assert {m["verdict"] for m in measured} == {INSUFFICIENT_DATA}
    assert result["result"] == "rolled_back"
    assert result["step"] == 5
    assert "still too little data" in result["reasons"][-1]
    assert max(w for w in green_weights(world.router) if isinstance(w, int)) == 5
    # Without requests nothing proves the baseline is healthy again.
    assert result["recovery"]["recovered"] is False


def test_a_metrics_outage_mid_deploy_pauses_the_step_and_never_promotes(world: World) -> None:
    def outage_at_50() -> None:
        world.traffic.unavailable = world.router.weights["green"] == 50

    world.traffic.before_read = outage_at_50
    deployer = world.deploy("r2")
    result = deployer.run()

    assert result["result"] == "rolled_back"
    assert result["step"] == 50
    at_50 = [m for m in records("measurement", deployer.id) if m["step"] == 50]
    assert at_50 and {m["verdict"] for m in at_50} == {INSUFFICIENT_DATA}
    assert all("no data from fake" in " ".join(m["reasons"]) for m in at_50)  # type: ignore[arg-type]
    assert 100 not in green_weights(world.router)
    assert Slots.load(ENV).active == "blue"


def test_a_canary_crashing_mid_step_is_rolled_back_and_recovery_measured(world: World) -> None:
    def crash_at_25() -> None:
        if world.router.weights["green"] == 25:
            world.supervisor.crash("app-green")

    world.traffic.before_read = crash_at_25
    deployer = world.deploy("r2")
    result = deployer.run()

    assert result["result"] == "rolled_back"
    assert result["step"] == 25
    assert "green's metrics are unreachable" in result["reasons"][0]
    evidence = records("evidence", deployer.id)
    assert [(e["step"], e["verdict"]) for e in evidence][-1] == (25, FAIL)
    assert world.router.weights == {"blue": 100, "green": 0}
    assert result["recovery"]["recovered"] is True
    assert records("recovery", deployer.id)[0]["recovered"] is True


def test_a_deploy_killed_mid_step_leaves_the_live_slot_and_the_next_one_recovers(
    world: World,
) -> None:
    class Killed(BaseException):
        pass

    def kill_at_50() -> None:
        if world.router.weights["green"] == 50:
            raise Killed

    world.traffic.before_read = kill_at_50
    with pytest.raises(Killed):
        world.deploy("r2").run()
    # Half the traffic on a canary nobody watches any more; the journal still says blue.
    assert world.router.weights == {"blue": 50, "green": 50}
    assert Slots.load(ENV).active == "blue"

    world.traffic.before_read = None
    result = world.deploy("r2").run()

    assert result["result"] == "promoted"
    # The re-run first took the idle slot out of traffic, then shifted from 5 % again.
    assert green_weights(world.router)[-5:] == [0, 5, 25, 50, 100]
    assert world.router.weights == {"blue": 0, "green": 100}
    assert Slots.load(ENV).active == "green"


def test_a_failing_smoke_test_fails_the_deploy_before_any_traffic(world: World) -> None:
    world.host.smoke_error = "search answered 500"
    result = world.deploy("r2").run()

    assert (result["result"], result["stage"]) == ("failed", "smoke")
    assert "search answered 500" in result["reason"]
    assert set(green_weights(world.router)) == {0}
    assert world.supervisor.states["app-green"] == "STOPPED"
    assert Slots.load(ENV).active == "blue"


def test_a_slot_that_cannot_start_fails_the_deploy_at_start(world: World) -> None:
    world.supervisor.broken.add("app-green")
    result = world.deploy("r2").run()

    assert (result["result"], result["stage"]) == ("failed", "start")
    assert set(green_weights(world.router)) == {0}


def test_blue_green_moves_all_traffic_in_one_analysed_step(world: World) -> None:
    deployer = world.deploy("r2", strategy="blue-green", steps=[100])
    result = deployer.run()

    assert result["result"] == "promoted"
    assert [r["weight"] for r in records("shift", deployer.id)] == [100]


def test_a_fast_track_rollback_analyses_nothing(world: World) -> None:
    world.deploy("r2").run()
    result = world.deploy("dev", strategy="blue-green", steps=[100], fast_track=True).run()

    assert result["result"] == "promoted"
    assert Slots.load(ENV).active == "blue"
    assert records("measurement", result["deploy_id"]) == []


def test_nothing_is_touched_when_the_stack_is_not_running(world: World) -> None:
    world.supervisor.daemon = False
    with pytest.raises(FixiactlError, match="not running"):
        world.deploy("r2").run()
    assert world.router.history == []


def test_the_release_already_serving_is_not_deployed_again(world: World) -> None:
    with pytest.raises(FixiactlError, match="already serves"):
        world.deploy("dev").run()
