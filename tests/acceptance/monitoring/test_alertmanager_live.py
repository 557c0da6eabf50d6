"""The real Alertmanager with our config: routing reaches the right fake vendor and
inhibition silences what it should. amtool can test one route at a time and no inhibition
at all, so this runs the server and posts alerts to it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest

from fixiactl.monitoring import receiver

ROOT = Path(__file__).resolve().parents[3]
API = {"service": "fixia-api", "team": "api", "severity": "critical"}
ALERTS: dict[str, dict[str, str]] = {
    "api-down": {"alertname": "ApiDown", **API},
    "api-slo": {"alertname": "SLOErrorBudgetBurnFast", "slo": "api-availability", **API},
    "checkout-slo": {
        "alertname": "SLOErrorBudgetBurnFast",
        "slo": "checkout-success",
        "service": "fixia-payments",
        "team": "payments",
        "severity": "critical",
    },
    "login": {"alertname": "LoginFailureSpike", "team": "security", "severity": "warning"},
    "payments": {"alertname": "NoPaymentsDuringBusinessHours", "team": "business",
                 "severity": "warning"},
    "disk": {"alertname": "DiskSpaceLow", "team": "platform", "severity": "warning"},
}  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became ready")


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("am")
    rport, aport = _port(), _port()
    received = tmp / "received.jsonl"
    secrets = tmp / "secrets"
    secrets.mkdir()
    url = f"http://127.0.0.1:{rport}"
    for name, value in {
        "slack_webhook_url": f"{url}/slack",
        "slack_security_webhook_url": f"{url}/slack-security",
        "pagerduty_routing_key": "k",
        "smtp_password": "x",
    }.items():
        (secrets / name).write_text(value)
    template = (ROOT / "deploy/alertmanager/alertmanager.yml.j2").read_text()
    (tmp / "am.yml").write_text(
        jinja2.Template(template, undefined=jinja2.StrictUndefined).render(
            env="test", secrets=secrets, local=True, receiver_url=url,
            pagerduty_url=f"{url}/pagerduty", smtp_smarthost="127.0.0.1:25",
            smtp_require_tls="false", group_wait="1s", group_interval="5s",
        )
    )  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fixiactl.monitoring.receiver", "--port", str(rport),
             "--out", str(received)]
        ),
        subprocess.Popen(
            ["/usr/bin/prometheus-alertmanager", f"--config.file={tmp / 'am.yml'}",
             f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{aport}",
             "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    try:
        _wait(f"{url}/")
        _wait(f"http://127.0.0.1:{aport}/-/ready")
        alerts = [{"labels": labels} for labels in ALERTS.values()]
        httpx.post(f"http://127.0.0.1:{aport}/api/v2/alerts", json=alerts, timeout=5)
        yield f"http://127.0.0.1:{aport}", received
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def _state(am: str) -> dict[str, dict[str, Any]]:
    alerts = httpx.get(f"{am}/api/v2/alerts", timeout=5).json()
    return {a["labels"].get("slo") or a["labels"]["alertname"]: a["status"] for a in alerts}


def test_api_down_inhibits_only_the_api_slo_alerts(alertmanager: tuple[str, Path]) -> None:
    am, _ = alertmanager
    deadline = time.monotonic() + 20
    state = _state(am)
    while time.monotonic() < deadline and not state.get("api-availability", {}).get("inhibitedBy"):
        time.sleep(0.5)
        state = _state(am)
    assert state["api-availability"]["inhibitedBy"], state
    assert state["checkout-success"]["inhibitedBy"] == []
    assert state["ApiDown"]["inhibitedBy"] == []


def _paths_by_alert(received: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in receiver.received(received):
        text = str(entry["body"])
        for key, labels in ALERTS.items():
            marker = labels.get("slo", labels["alertname"])
            if marker in text:
                found.setdefault(key, set()).add(entry["path"])
    return found


def test_each_alert_reaches_its_vendors(alertmanager: tuple[str, Path]) -> None:
    _, received = alertmanager
    expected = {
        "api-down": {"/pagerduty", "/slack"},
        "checkout-slo": {"/pagerduty", "/slack"},
        "login": {"/slack-security"},
        "payments": {"/email", "/slack"},
        "disk": {"/slack"},
    }
    deadline = time.monotonic() + 30
    found = _paths_by_alert(received)
    while time.monotonic() < deadline and any(found.get(k) != v for k, v in expected.items()):
        time.sleep(0.5)
        found = _paths_by_alert(received)
    for key, paths in expected.items():
        assert found.get(key) == paths, (key, found)
    assert "api-slo" not in found  # inhibited: never notified
