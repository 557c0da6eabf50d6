"""Prometheus rules, their promtool tests, runbooks, Alertmanager routing and the generated
files: all checked with the real promtool and amtool."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fixiactl.slo.rules import kebab
from fixiactl.stack.monitoring import render_production_alertmanager

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
TESTS = ROOT / "deploy" / "prometheus" / "tests"
FIXIACTL = str(Path(sys.executable).parent / "fixiactl")


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run scripts/install-system-deps --stack"
    return path


def _alerts() -> list[dict[str, object]]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


# `promtool check rules` and `promtool test rules` over every file run once, as the promtool
# gate (tests/gates/test_fast_gates.py); running them here too cost ~40 s of each `make test`.


def test_every_rule_file_has_a_promtool_test() -> None:
    missing = [r.name for r in RULES if not (TESTS / f"{r.stem}_test.yml").exists()]
    assert RULES and not missing, f"rule files without a promtool test: {missing}"


def test_every_alert_is_labelled_documented_and_unit_tested() -> None:
    tested = {
        case["alertname"]
        for path in TESTS.glob("*_test.yml")
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    alerts = _alerts()
    assert len(alerts) >= 20
    for alert in alerts:
        name = str(alert["alert"])
        labels = alert["labels"]
        annotations = alert["annotations"]
        assert isinstance(labels, dict) and isinstance(annotations, dict)
        assert labels["severity"] in {"critical", "warning", "info"}, name
        assert labels["team"], name
        assert annotations["summary"], name
        assert annotations["runbook_url"] == f"docs/runbooks/{kebab(name)}.md", name
        assert (ROOT / str(annotations["runbook_url"])).is_file(), f"runbook missing for {name}"
        assert name in tested, f"no promtool test expects {name} to fire"


def test_generated_files_are_up_to_date() -> None:
    result = subprocess.run(
        [FIXIACTL, "slo", "generate", "--check", "--json"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generate_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    from fixiactl.slo import generate

    files = generate.planned()
    moved = [generate.Generated(tmp_path / f.path.name, f.content) for f in files]
    for f in moved:
        f.path.write_text(f.content)
    assert generate.stale(moved) == []
    moved[0].path.write_text(moved[0].content.replace("14.4", "14.5"))
    assert generate.stale(moved) == [moved[0].path]


def _alertmanager_config(tmp_path: Path) -> Path:
    rendered = render_production_alertmanager(ROOT / "deploy")
    path = tmp_path / "alertmanager.yml"
    path.write_text(rendered)
    return path


def test_amtool_accepts_the_config_and_secrets_come_from_files(tmp_path: Path) -> None:
    path = _alertmanager_config(tmp_path)
    result = subprocess.run(
        [_tool("amtool"), "check-config", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(path.read_text())
    for receiver in config["receivers"]:
        for kind, key in (("pagerduty_configs", "routing_key"), ("slack_configs", "api_url")):
            for item in receiver.get(kind, []):
                assert key not in item and f"{key}_file" in item, receiver["name"]
    assert "smtp_auth_password" not in config["global"]


ROUTES = [
    ({"severity": "critical", "team": "platform", "alertname": "PostgresDown"}, "pagerduty-slack"),
    ({"severity": "critical", "team": "api", "alertname": "ApiDown"}, "pagerduty-slack"),
    ({"severity": "warning", "team": "platform", "alertname": "DiskSpaceLow"}, "slack-alerts"),
    (
        {"severity": "warning", "team": "business", "alertname": "NoPayments"},
        "email-slack-business",
    ),
    (
        {"severity": "warning", "team": "security", "alertname": "LoginFailureSpike"},
        "slack-security",
    ),
    ({"severity": "critical", "team": "security", "alertname": "X"}, "pagerduty-security"),
    ({"severity": "info", "team": "platform", "alertname": "X"}, "slack-alerts"),
]


@pytest.mark.parametrize(("labels", "receiver"), ROUTES, ids=lambda v: str(v))
def test_routing_table(tmp_path: Path, labels: dict[str, str], receiver: str) -> None:
    path = _alertmanager_config(tmp_path)
    args = [f"{k}={v}" for k, v in labels.items()]
    cmd = [_tool("amtool"), "config", "routes", "test", f"--config.file={path}"]
    ok = subprocess.run([*cmd, f"--verify.receivers={receiver}", *args], capture_output=True)
    assert ok.returncode == 0, ok.stdout
    # The table can fail: the same alert does not reach a receiver it should not.
    wrong = "slack-alerts" if receiver != "slack-alerts" else "pagerduty-slack"
    bad = subprocess.run([*cmd, f"--verify.receivers={wrong}", *args], capture_output=True)
    assert bad.returncode != 0


def test_api_down_inhibits_its_own_slo_alerts(tmp_path: Path) -> None:
    config = yaml.safe_load(_alertmanager_config(tmp_path).read_text())
    rule = next(
        r for r in config["inhibit_rules"] if r["source_matchers"] == ['alertname="ApiDown"']
    )
    assert rule["equal"] == ["service"]
    api_down = next(a for a in _alerts() if a["alert"] == "ApiDown")
    slo = yaml.safe_load((ROOT / "deploy/prometheus/rules/slo-api-availability.yml").read_text())
    burn = slo["groups"][1]["rules"][0]
    assert api_down["labels"]["service"] == burn["labels"]["service"] == "fixia-api"  # type: ignore[index]
