"""`fixiactl deploy run|status|explain`: `deploy RELEASE` still means `run`, and `--dry-run`
prints the plan without touching anything (the deploy context is built from the fakes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixiactl.cli import app
from fixiactl.cli import deploy as deploy_cli
from fixiactl.deploy import budget
from fixiactl.deploy.context import DeployContext
from fixiactl.deploy.fakes import FakeRouter, FakeSlotHost, FakeSupervisor, fake_context
from fixiactl.deploy.journal import deploy_dir
from fixiactl.deploy.preflight import GateResult
from tests.unit.delivery.test_budget_policy import FakeBudget


@pytest.fixture
def router(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeRouter:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    supervisor = FakeSupervisor()
    fake_router = FakeRouter(supervisor)
    host = FakeSlotHost(GateResult(expand=["e1"]))

    def open_fake(env: str) -> DeployContext:
        return fake_context(env, fake_router, host)

    monkeypatch.setattr(deploy_cli.DeployContext, "open", staticmethod(open_fake))
    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget(api_availability=0.05))
    return fake_router


@pytest.mark.parametrize("command", [["deploy", "r2"], ["deploy", "run", "r2"]])
def test_a_dry_run_prints_the_plan_and_changes_nothing(
    router: FakeRouter, command: list[str]
) -> None:
    done = CliRunner().invoke(
        app, [*command, "--env", "unit", "--steps", "10,100", "--dry-run", "--json"]
    )

    assert done.exit_code == 0, done.output
    plan = json.loads(done.stdout)
    assert plan["dry_run"] is True
    assert (plan["release"], plan["from_release"]) == ("r2", "dev")
    assert (plan["live_slot"], plan["new_slot"]) == ("blue", "green")
    assert plan["steps"] == [10, 100] and plan["migrations"]["expand"] == ["e1"]
    # The budget is read and shown, not enforced: a dry run is never refused (exit 4).
    assert plan["budget"]["allowed"] is False
    assert router.history == []
    assert not (deploy_dir("unit") / "deploys.jsonl").exists()


def test_a_dry_run_says_the_plan_in_words(router: FakeRouter) -> None:
    done = CliRunner().invoke(app, ["deploy", "r2", "--env", "unit", "--dry-run"])

    assert done.exit_code == 0, done.output
    assert "would deploy r2 to unit on green, replacing dev on blue" in done.output
    assert "steps 5 %, 25 %, 50 %, 100 %" in done.output


def test_a_dry_run_shows_the_routing_modes_asked_for(router: FakeRouter) -> None:
    args = ["--sticky", "--mirror", "20", "--on-failure", "pause", "--dry-run"]
    done = CliRunner().invoke(app, ["deploy", "r2", "--env", "unit", *args, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["routing"] == {
        "sticky": True,
        "mirror_s": 20.0,
        "on_failure": "pause",
        "pause_timeout_s": 900.0,
    }
    words = CliRunner().invoke(app, ["deploy", "r2", "--env", "unit", *args])
    said = " ".join(words.output.split())  # the console wraps long lines
    assert "sticky until the deploy ends; GETs mirrored to it for 20 s first" in said
    wrong = CliRunner().invoke(
        app, ["deploy", "r2", "--env", "unit", "--on-failure", "wait"], env={"COLUMNS": "200"}
    )
    # A fixed set of choices is an enum: a usage error (exit 2) that names the choices.
    assert wrong.exit_code == 2 and "'abort', 'pause'" in wrong.output
    assert router.history == []


def test_status_and_explain_are_sub_commands(router: FakeRouter) -> None:
    runner = CliRunner()
    status = runner.invoke(app, ["deploy", "status", "--env", "unit", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["slots"]["active"] == "blue"
    explain = runner.invoke(app, ["deploy", "explain", "--env", "unit"])
    assert explain.exit_code == 1 and "which deploy?" in explain.output


def test_a_whole_deploy_reads_the_environment_once_through_its_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixiactl.deploy import slots
    from fixiactl.deploy.fakes import FakeTraffic

    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    router = FakeRouter(FakeSupervisor())
    host = FakeSlotHost()
    opened: list[str] = []

    def open_fake(env: str) -> DeployContext:
        opened.append(env)
        return fake_context(env, router, host, FakeTraffic(router, host))

    def no_reread(*_args: object) -> None:
        raise AssertionError("the environment was read again, outside the deploy context")

    monkeypatch.setattr(deploy_cli.DeployContext, "open", staticmethod(open_fake))
    monkeypatch.setattr(budget, "load_env", no_reread)
    monkeypatch.setattr(slots, "Supervisor", no_reread)
    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget())
    done = CliRunner().invoke(
        app, ["deploy", "r2", "--env", "unit", "--hold", "2", "--tick", "0", "--json"]
    )

    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert (result["result"], result["slot"]) == ("promoted", "green")
    assert result["budget"]["outcome"] == "within_budget"
    assert opened == ["unit"]
    assert router.weights == {"blue": 0, "green": 100}
