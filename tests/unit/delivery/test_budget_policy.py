"""The error-budget policy of `fixiactl deploy`: every path of the decision on a fake budget
source, the Prometheus reader on canned answers, and the CLI's refusal and --json output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer

from fixiactl.cli import deploy as deploy_cli
from fixiactl.deploy import budget, releases, requirements
from fixiactl.deploy.budget import Policy, PrometheusBudget, Reading, decide, enforce
from fixiactl.deploy.context import DeployContext
from fixiactl.errors import FixiactlError
from fixiactl.slo.spec import load_slos

SLOS = [s.name for s in load_slos()]


class FakeBudget:
    def __init__(self, **remaining: float | None) -> None:
        self.values = {name.replace("_", "-"): v for name, v in remaining.items()}

    def remaining(self, slos: Sequence[str]) -> list[Reading]:
        return [
            Reading(n, self.values.get(n, 0.9))
            if self.values.get(n, 0.9) is not None
            else Reading(n, None, "fake: no series")
            for n in slos
        ]


class FakeAudit:
    def __init__(self, fail: bool = False) -> None:
        self.entries: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def record(self, env: str, details: dict[str, Any]) -> None:
        if self.fail:
            raise FixiactlError("audit log unreachable")
        self.entries.append((env, details))


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    return tmp_path


def test_every_budget_above_the_floor_deploys_without_audit() -> None:
    audit = FakeAudit()
    decision = enforce("production", "r1", source=FakeBudget(api_availability=0.5), auditor=audit)
    assert decision.allowed and decision.outcome == "within_budget"
    assert decision.below == [] and decision.missing == [] and decision.reason == ""
    assert audit.entries == []


def test_a_budget_under_the_floor_refuses_and_says_why_and_how_to_override() -> None:
    with pytest.raises(budget.BudgetRefused) as refused:
        enforce("production", "r1", source=FakeBudget(api_availability=0.042), auditor=FakeAudit())
    decision = refused.value.decision
    assert not decision.allowed and decision.outcome == "refused"
    assert decision.below == ["api-availability"]
    assert "api-availability has 4.2% of its error budget left, under the floor of 10%" in (
        refused.value.message
    )
    assert "--hotfix" in decision.hint and "--override-budget --reason" in decision.hint


def test_the_floor_is_the_environments_and_exactly_the_floor_passes() -> None:
    readings = [Reading("api-availability", 0.10), Reading("api-latency", 0.2)]
    assert decide(readings, Policy(floor=0.10)).allowed
    assert not decide(readings, Policy(floor=0.15)).allowed
    # An overspent budget (negative remaining) is under any floor, even 0.
    assert not decide([Reading("api-availability", -3.0)], Policy(floor=0.0)).allowed


def test_a_hotfix_passes_a_spent_budget_without_an_override() -> None:
    audit = FakeAudit()
    decision = enforce(
        "production", "r1", hotfix=True, source=FakeBudget(api_latency=-0.5), auditor=audit
    )
    assert decision.allowed and decision.outcome == "hotfix"
    assert decision.below == ["api-latency"] and "api-latency has -50.0%" in decision.reason
    assert audit.entries == []


def test_an_override_passes_only_once_it_is_audited() -> None:
    audit = FakeAudit()
    decision = enforce(
        "production",
        "r1",
        override="  revenue fix, approved by on-call  ",
        source=FakeBudget(checkout_success=0.01),
        auditor=audit,
    )
    assert decision.allowed and decision.outcome == "override" and decision.audited
    [(env, details)] = audit.entries
    assert env == "production"
    assert details["reason"] == "revenue fix, approved by on-call"
    assert details["release"] == "r1" and details["below_floor"] == ["checkout-success"]
    assert details["remaining"]["checkout-success"] == 0.01 and details["floor"] == 0.10


def test_an_override_that_cannot_be_audited_is_refused() -> None:
    with pytest.raises(FixiactlError, match="audit log unreachable"):
        enforce(
            "production",
            "r1",
            override="why",
            source=FakeBudget(api_availability=0.0),
            auditor=FakeAudit(fail=True),
        )


def test_a_blank_override_reason_overrides_nothing() -> None:
    decision = decide([Reading("api-availability", 0.0)], Policy(), override="   ")
    assert not decision.allowed and decision.outcome == "refused"


def test_no_data_refuses_where_the_policy_refuses_it() -> None:
    with pytest.raises(budget.BudgetRefused) as refused:
        enforce("production", "r1", source=FakeBudget(api_latency=None), auditor=FakeAudit())
    decision = refused.value.decision
    assert decision.missing == ["api-latency"] and decision.below == []
    assert "no data for api-latency: fake: no series" in refused.value.message


def test_no_data_warns_where_the_environment_says_warn_but_a_spent_budget_still_refuses() -> None:
    decision = enforce("staging", "r1", source=FakeBudget(api_latency=None), auditor=FakeAudit())
    assert decision.allowed and decision.outcome == "within_budget"
    assert decision.missing == ["api-latency"] and "no data for api-latency" in decision.reason
    with pytest.raises(budget.BudgetRefused):
        enforce("staging", "r1", source=FakeBudget(api_latency=0.01), auditor=FakeAudit())


def test_no_prometheus_at_all_is_no_data_for_every_slo() -> None:
    with pytest.raises(budget.BudgetRefused) as refused:
        enforce("production", "r1", source=budget.NoPrometheus(), auditor=FakeAudit())
    assert refused.value.decision.missing == SLOS
    assert "runs no Prometheus" in refused.value.message


def test_an_invalid_policy_is_refused() -> None:
    from fixiactl.stack.config import load_env

    config = load_env("production")
    config.error_budget_no_data = "ignore"
    with pytest.raises(FixiactlError, match="invalid error-budget policy"):
        Policy.of(config)


def _prometheus(handler: Any) -> PrometheusBudget:
    return PrometheusBudget(
        "http://prom", client=httpx.Client(transport=httpx.MockTransport(handler))
    )


def _vector(*series: tuple[str, str]) -> dict[str, Any]:
    result = [{"metric": {"slo": slo}, "value": [1.0, value]} for slo, value in series]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def test_prometheus_readings_by_slo_label_with_nan_and_absent_as_no_data() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["query"] == budget.REMAINING
        return httpx.Response(
            200, json=_vector(("api-availability", "0.25"), ("api-latency", "NaN"))
        )

    readings = {r.slo: r for r in _prometheus(handler).remaining(SLOS)}
    assert readings["api-availability"].remaining == 0.25
    assert readings["api-latency"].remaining is None
    assert "counted no events" in readings["api-latency"].why
    assert readings["checkout-success"].remaining is None
    assert "no slo:error_budget_remaining:ratio series" in readings["checkout-success"].why


def test_an_unreachable_or_refusing_prometheus_is_no_data() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"status": "error", "error": "parse error"})

    assert all(
        r.remaining is None and "unreachable" in r.why for r in _prometheus(down).remaining(SLOS)
    )
    assert all("parse error" in r.why for r in _prometheus(bad).remaining(SLOS))


@pytest.fixture
def any_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """The release exists and the environment accepts it: only the budget decides."""
    monkeypatch.setattr(releases, "load", lambda release_id: release_id)
    monkeypatch.setattr(requirements, "check", lambda config, release: None)


@pytest.mark.usefixtures("any_release")
def test_the_cli_refusal_exits_4_with_the_decision_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget(api_availability=0.05))
    with pytest.raises(typer.Exit) as exited:
        deploy_cli.budget_gate(
            DeployContext.open("production"), "r1", False, False, None, as_json=True
        )
    assert exited.value.exit_code == 4
    out = json.loads(capsys.readouterr().out)
    assert out["result"] == "refused" and out["release"] == "r1"
    assert out["budget"]["below"] == ["api-availability"] and out["budget"]["floor"] == 0.10
    assert {r["slo"]: r["remaining"] for r in out["budget"]["readings"]}["api-availability"] == 0.05


def test_the_cli_needs_a_reason_to_override() -> None:
    with pytest.raises(FixiactlError, match="--override-budget needs --reason"):
        deploy_cli.budget_gate(
            DeployContext.open("production"), "r1", False, True, " ", as_json=True
        )


def test_slo_budget_shows_the_decision_without_deploying(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fixiactl.cli.slo import app

    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget(api_latency=0.02))
    done = CliRunner().invoke(app, ["budget", "--env", "production", "--json"])
    assert done.exit_code == 4, done.output
    data = json.loads(done.stdout)
    assert data["allowed"] is False and data["below"] == ["api-latency"]
    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget())
    assert CliRunner().invoke(app, ["budget", "--env", "production"]).exit_code == 0


@pytest.mark.usefixtures("any_release")
def test_promote_is_held_to_the_same_policy(
    state_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from fixiactl.cli import app

    journal = state_root / "pre-production" / "deploy" / "deploys.jsonl"
    journal.parent.mkdir(parents=True)
    event = {"deploy_id": "d1", "event": "promoted", "ts": 1.0, "release": "r1"}
    journal.write_text(json.dumps(event) + "\n")
    monkeypatch.setattr(budget, "source_for", lambda env: FakeBudget(api_availability=0.01))
    done = CliRunner().invoke(app, ["promote", "r1", "--to", "production", "--json"])
    assert done.exit_code == 4, done.output
    assert json.loads(done.stdout)["budget"]["below"] == ["api-availability"]
    assert not (state_root / "production" / "deploy" / "deploys.jsonl").exists()
