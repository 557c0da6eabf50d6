"""Canary analysis from Prometheus (`--metrics-source prometheus`) on a real stack started with
--monitoring: the slots are scraped with a `slot` label, a release answering 5xx is rolled
back on Prometheus' numbers alone, and a Prometheus that is down stops a deploy before it
changes anything.

Its own stack (test.toml: 1 s app scrapes), so the main suite's deploy log stays its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from fixiactl.deploy.prometheus import PrometheusSource
from tests import stack as stack_module
from tests.acceptance.delivery.conftest import Ctl, require, why
from tests.acceptance.delivery.load import Load

BENCH = Path(__file__).resolve().parents[3] / "var" / "bench" / "deploy.json"
BAD = ("error_rate=0.15", "skip_first=20")
SUPERVISORCTL = str(Path(sys.executable).parent / "supervisorctl")


@pytest.fixture(scope="module")
def monitored(releases_dir: Path) -> Iterator[Ctl]:
    for binary in ("wrk", "haproxy", "pgbouncer", "redis-server", "prometheus"):
        require(binary)
    running = stack_module.start("--monitoring")
    try:
        yield Ctl(
            env=running.env,
            http=running.http,
            ports=running.ports,
            state=running.state,
            releases_dir=releases_dir,
        )
    finally:
        stack_module.stop_and_remove(running.env, running.state)


@pytest.fixture
def prom(monitored: Ctl) -> Iterator[PrometheusSource]:
    with httpx.Client(timeout=5) as client:
        url = f"http://127.0.0.1:{monitored.ports['prometheus']}"
        yield PrometheusSource(url, interval_s=1, client=client)


def test_prometheus_scrapes_each_slot_under_its_slot_label(
    monitored: Ctl, prom: PrometheusSource
) -> None:
    # Targets appear a few seconds after Prometheus is ready.
    deadline = time.monotonic() + 30
    while not prom.query('up{job="fixia-app",slot="blue"} == 1'):
        assert time.monotonic() < deadline, "Prometheus never scraped blue"
        time.sleep(0.5)
    for _ in range(12):
        httpx.get(f"{monitored.http}/api/v1/services", timeout=10)
    time.sleep(2.5)
    blue = prom.snapshot("blue")
    assert blue is not None and blue.requests >= 12
    assert blue.at is not None and time.time() - blue.at < 5  # the scrape's own time
    assert prom.snapshot("green") is None  # stopped: scraped and down, not unknown
    targets = httpx.get(f"{prom.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    app = [t for t in targets if t["labels"]["job"] == "fixia-app"]
    assert sorted(t["labels"]["slot"] for t in app) == ["blue", "green"]
    assert {t["scrapeInterval"] for t in app} == {"1s"}
    # The per-job interval keeps the monitoring integrity check green.
    check = monitored.run("slo", "check-metrics", "--env", monitored.env, "--json", timeout=120)
    assert json.loads(check.stdout)["dangling"] == {}, check.stdout + check.stderr
    assert check.returncode == 0


def test_a_failing_canary_is_rolled_back_on_prometheus_data(
    monitored: Ctl, build: Callable[..., str]
) -> None:
    bad = build(*BAD)
    with Load(monitored.http, connections=8, delay_ms=40, max_s=150, max_requests=30_000) as load:
        time.sleep(2)
        code, data, err = monitored.deploy(
            bad, "--steps", "5,50,100", "--hold", "10", "--metrics-source", "prometheus"
        )
        result = load.stop()
    assert code == 3 and data["result"] == "rolled_back", why(data, err)
    assert data["step"] == 5
    assert result.failed > 0, "the faulty release never answered: the test proves nothing"
    records = monitored.records(str(data["deploy_id"]))
    started = next(r for r in records if r.get("event") == "started")
    assert started["metrics_source"] == "prometheus"
    measured = [r for r in records if r["kind"] == "measurement"]
    assert measured and all(r["source"] == "prometheus" for r in measured)
    verdict = measured[-1]
    assert verdict["verdict"] == "FAIL" and "SPRT" in verdict["reasons"][0], verdict
    # Judged on scrapes taken after the canary got traffic, never on older samples.
    shift = next(r for r in records if r["kind"] == "shift")
    sampled = [r["canary"]["at"] for r in measured if r["canary"]["at"] is not None]
    assert sampled and min(sampled) > shift["ts"]
    assert next(r for r in records if r["kind"] == "recovery")["recovered"] is True
    assert httpx.get(f"{monitored.http}/healthz", timeout=10).json()["release"] == "dev"
    explain = monitored.run("deploy", "explain", str(data["deploy_id"]), "--env", monitored.env)
    assert explain.returncode == 0, explain.stderr
    assert "metrics from prometheus" in explain.stdout + explain.stderr  # rich: to stderr
    drained = next(r for r in records if r["kind"] == "drained")
    _bench("bad_canary_prometheus_first_traffic_to_rollback_s", drained["ts"] - shift["ts"])


def test_a_deploy_without_prometheus_stops_before_changing_anything(
    monitored: Ctl, build: Callable[..., str]
) -> None:
    # supervisorctl in its own process: the stack's supervisord stops its Prometheus.
    conf = monitored.state / "supervisord.conf"
    stopped = subprocess.run(
        [SUPERVISORCTL, "-c", str(conf), "stop", "prometheus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    events = monitored.state / "deploy" / "deploys.jsonl"
    before = events.read_text() if events.exists() else ""
    code, data, err = monitored.deploy(build(*BAD), "--metrics-source", "prometheus")
    assert code == 1 and not data
    assert "unreachable" in err and "--metrics-source slots" in err, err
    assert (events.read_text() if events.exists() else "") == before


def _bench(key: str, value: float) -> None:
    BENCH.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(BENCH.read_text()) if BENCH.exists() else {}
    data[key] = round(value, 2)
    BENCH.write_text(json.dumps(data, indent=2))
