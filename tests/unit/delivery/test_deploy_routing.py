"""The engine's routing-mode decisions (fixiactl.deploy.routing, pause): when the header/cookie
canary and sticky assignment are switched on and off, the mirror check before the first step,
and pausing instead of aborting. Driven through the fakes; real HAProxy behaviour is in
tests/acceptance/delivery/test_routing_modes.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixiactl.deploy import pause
from fixiactl.deploy.analysis import FAIL, Thresholds
from fixiactl.deploy.engine import Deployer, DeployOptions
from fixiactl.deploy.evidence import folder
from fixiactl.deploy.fakes import (
    Behaviour,
    FakeRouter,
    FakeSlotHost,
    FakeSupervisor,
    FakeTraffic,
    ScriptedPauses,
    fake_context,
)
from fixiactl.deploy.journal import Journal, deploy_events, deploy_records
from fixiactl.errors import FixiactlError

ENV = "unit-routing"


@dataclass
class World:
    router: FakeRouter
    traffic: FakeTraffic
    pauses: ScriptedPauses
    deployer: Deployer | None = None

    def deploy(self, release_id: str, **options: object) -> Deployer:
        opts = DeployOptions(
            release_id=release_id,
            steps=[10, 100],
            tick_s=0.005,
            step_hold_s=3.0,
            step_deadline_s=0.3,
            recovery_timeout_s=0.5,
            recovery_window_s=0.0,
        )
        for key, value in options.items():
            setattr(opts, key, value)
        host = self.traffic.host
        ctx = fake_context(ENV, self.router, host, self.traffic)
        ctx.pause_control = self.pauses
        self.deployer = Deployer(ctx, opts, lambda _: None, thresholds=Thresholds())
        return self.deployer


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    router = FakeRouter(FakeSupervisor())
    behaviours = {"bad": Behaviour(error_rate=0.3), "flaky": Behaviour(error_rate=0.3)}
    traffic = FakeTraffic(router, FakeSlotHost(), behaviours)
    return World(router, traffic, ScriptedPauses())


def moves(router: FakeRouter, *kinds: str) -> list[tuple[str, str, int | str]]:
    return [h for h in router.history if h[0] in kinds]


def test_staff_routing_starts_before_the_first_step_and_ends_before_any_drain(
    world: World,
) -> None:
    deployer = world.deploy("r2", sticky=True)
    assert deployer.run()["result"] == "promoted"

    seen = moves(world.router, "routing", "weight", "state")
    on = seen.index(("routing", "green", deployer.id))
    first_step = seen.index(("weight", "green", 10))
    off = seen.index(("routing", "none", "off"))
    drain = seen.index(("state", "blue", "drain"))
    assert on < first_step < off < drain  # pinned users never reach a draining slot
    assert (world.router.canary, world.router.sticky) == (None, None)


def test_a_rollback_sends_pinned_and_staff_users_back_before_the_canary_drains(
    world: World,
) -> None:
    result = world.deploy("bad", sticky=True).run()
    assert result["result"] == "rolled_back"

    seen = moves(world.router, "routing", "state")
    assert seen.index(("routing", "none", "off")) < seen.index(("state", "green", "drain"))
    assert (world.router.canary, world.router.sticky) == (None, None)


def test_a_stack_without_the_routing_map_deploys_by_weights_but_refuses_sticky(
    world: World,
) -> None:
    world.router.routing_missing = True
    deployer = world.deploy("r2")
    assert deployer.run()["result"] == "promoted"
    assert [r["kind"] for r in deploy_records(ENV, deployer.id)].count("routing_unavailable") == 1

    result = world.deploy("r3", sticky=True).run()
    assert result["result"] == "failed" and result["stage"] == "routing"
    assert world.router.weights == {"blue": 0, "green": 100}  # r2 still serves, untouched


def test_mirrored_gets_are_judged_before_the_first_step(world: World) -> None:
    deployer = world.deploy("r2", mirror_s=2.0)
    result = deployer.run()

    assert result["result"] == "promoted"
    assert result["mirror"]["answered"] > 0 and result["mirror"]["errors"] == 0
    assert result["mirror"]["verdict"] != FAIL
    seen = moves(world.router, "mirror", "weight")
    assert seen.index(("mirror", "green", 0)) < seen.index(("mirror", "off", 0))
    assert seen.index(("mirror", "off", 0)) < seen.index(("weight", "green", 10))
    assert (folder(ENV, deployer.id) / "step-000.json").exists()  # replayable like a step


def test_a_slot_failing_mirrored_gets_is_rolled_back_before_any_real_traffic(
    world: World,
) -> None:
    result = world.deploy("bad", mirror_s=2.0).run()

    assert result["result"] == "rolled_back" and result["step"] == 0
    assert result["mirror"]["errors"] > 0 and result["mirror"]["verdict"] == FAIL
    green = [w for kind, slot, w in world.router.history if kind == "weight" and slot == "green"]
    assert all(w == 0 for w in green)  # never a weight: only copies reached it
    assert world.router.mirror is None and world.router.canary is None


def test_a_paused_deploy_holds_on_stable_and_aborts_when_told(world: World) -> None:
    world.pauses.answers = ["abort"]
    while_paused: list[object] = []
    scripted = world.pauses.wait

    def look(deploy_id: str, timeout_s: float) -> str:
        router = world.router
        while_paused.extend([dict(router.weights), router.supervisor.states["app-green"]])
        return scripted(deploy_id, timeout_s)

    world.pauses.wait = look  # type: ignore[method-assign]
    deployer = world.deploy("bad", on_failure="pause", pause_timeout_s=60.0)
    result = deployer.run()

    assert result["result"] == "rolled_back" and result["step"] == 10
    assert result["reasons"][-1] == "aborted by the operator"
    assert [p["action"] for p in result["pauses"]] == ["abort"]
    assert world.pauses.waits == [(deployer.id, 60.0)]
    events = [e["event"] for e in deploy_events(ENV)]
    assert events == ["started", "paused", "aborted", "rolled_back"]
    # While paused the stable slot had all the traffic and the new one kept running.
    assert while_paused == [{"blue": 100, "green": 0}, "RUNNING"]
    assert world.router.supervisor.states["app-green"] == "STOPPED"  # after the abort


def test_a_resumed_deploy_measures_the_same_step_again(world: World) -> None:
    def fixed() -> str:
        world.traffic.host.pointed["green"] = "r-fixed"  # e.g. a dependency came back
        return "resume"

    world.pauses.wait = lambda deploy_id, timeout_s: fixed()  # type: ignore[method-assign]
    result = world.deploy("flaky", on_failure="pause").run()

    assert result["result"] == "promoted"
    assert [p["action"] for p in result["pauses"]] == ["resume"]
    green = [w for kind, slot, w in world.router.history if kind == "weight" and slot == "green"]
    assert green[:4] == [0, 10, 0, 10]  # back to stable while paused, then the step again
    assert [e["event"] for e in deploy_events(ENV)] == ["started", "paused", "resumed", "promoted"]


def test_an_unanswered_pause_aborts_at_its_timeout(world: World) -> None:
    result = world.deploy("bad", on_failure="pause", pause_timeout_s=5.0).run()
    assert result["result"] == "rolled_back"
    assert "no resume: aborted" in result["reasons"][-1]
    assert [p["action"] for p in result["pauses"]] == ["timeout"]


def test_resume_and_abort_reach_only_a_paused_deploy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    journal = Journal(ENV, "d1")
    with pytest.raises(FixiactlError, match="no deploy"):
        pause.request(ENV, "d1", "resume")
    journal.event("started")
    with pytest.raises(FixiactlError, match="not paused"):
        pause.request(ENV, "d1", "resume")
    journal.event("paused", step=10)
    with pytest.raises(FixiactlError, match="unknown action"):
        pause.request(ENV, "d1", "continue")
    assert pause.request(ENV, "d1", "abort")["action"] == "abort"

    control = pause.FilePauseControl(ENV, poll_s=0.01)
    assert control.wait("d1", 1.0) == "abort"
    assert not pause.control_file(ENV, "d1").exists()  # consumed: one answer, one pause
    assert control.wait("d1", 0.05) == "timeout"


def test_the_mirror_measures_latency_in_the_apps_own_buckets() -> None:
    """The analysis compares histograms bucket by bucket: the mirror's must be the app's."""
    from fixia.observability.metrics import LATENCY_BUCKETS
    from fixiactl.deploy.protocols import MIRROR_BUCKETS
    from fixiactl.stack.config import DEPLOY

    lua = (DEPLOY / "haproxy" / "mirror.lua").read_text()
    found = re.search(r"^local BUCKETS = \{(.*)\}$", lua, re.MULTILINE)
    assert found is not None
    assert tuple(float(b) for b in found.group(1).split(",")) == MIRROR_BUCKETS
    assert MIRROR_BUCKETS == LATENCY_BUCKETS
