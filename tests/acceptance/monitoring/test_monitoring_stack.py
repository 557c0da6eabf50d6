"""`fixiactl stack up --monitoring` end to end: Prometheus scrapes the stack, nothing any rule
or dashboard names is missing, and a stopped app slot pages through Alertmanager to the local
receiver (the test profile shortens `for:` to seconds)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fixiactl.monitoring import integrity, receiver
from tests import stack as stack_module
from tests.stack import FIXIACTL

APP = "fixia_"
OURS = "fixia_pgbouncer_"


@pytest.fixture(scope="module")
def monitored() -> Iterator[stack_module.RunningStack]:
    running = stack_module.start("--monitoring")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


def _prometheus(stack: stack_module.RunningStack) -> str:
    return f"http://127.0.0.1:{stack.ports['prometheus']}"


def _wait_targets(url: str, jobs: set[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    healthy: set[str] = set()
    while time.monotonic() < deadline:
        data = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        healthy = {t["labels"]["job"] for t in data if t["health"] == "up"}
        if jobs <= healthy:
            return
        time.sleep(1)
    raise AssertionError(f"targets not up: {jobs - healthy}")


def test_exporters_produce_every_infrastructure_metric_referenced(
    monitored: stack_module.RunningStack,
) -> None:
    url = _prometheus(monitored)
    _wait_targets(url, {"haproxy", "postgres", "redis", "node", "prometheus", "alertmanager"})
    time.sleep(6)  # one PgBouncer collection into the textfile
    produced, _failed = integrity.scrape_all(url)
    missing = integrity.dangling(integrity.default_references(), produced)
    # The app's own series come from the observability work; everything else must be here,
    # including fixiactl's own PgBouncer collector.
    infra = {m: w for m, w in missing.items() if not m.startswith(APP) or m.startswith(OURS)}
    assert infra == {}
    assert "fixia_pgbouncer_pool_client_waiting" in produced  # scraped, not just declared


def test_both_redis_instances_are_scraped_with_their_role(
    monitored: stack_module.RunningStack,
) -> None:
    """The limiter's Redis has its own exporter: RateLimiterRedisFilling needs its memory
    against its maxmemory, and the password-protected instance must answer the exporter."""
    url = _prometheus(monitored)
    _wait_targets(url, {"redis"})
    deadline = time.monotonic() + 60
    found: dict[str, float] = {}
    while time.monotonic() < deadline and len(found) < 2:
        result = httpx.get(
            f"{url}/api/v1/query", params={"query": "redis_memory_max_bytes and redis_up == 1"}
        ).json()["data"]["result"]
        found = {r["metric"]["redis_instance"]: float(r["value"][1]) for r in result}
        time.sleep(1)
    assert set(found) == {"redis", "redis-limiter"}, found
    assert found["redis-limiter"] > 0  # a bounded instance, so the ratio means something


def test_no_dangling_metric_references(monitored: stack_module.RunningStack) -> None:
    """The full check: needs the app's /metrics (observability branch) and fixiactl's
    backup and delivery textfile writers merged in."""
    url = _prometheus(monitored)
    _wait_targets(url, {"fixia-app", "haproxy", "postgres", "redis", "node"})
    result = subprocess.run(
        [FIXIACTL, "slo", "check-metrics", "--env", monitored.env, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(result.stdout)["dangling"] == {}
    assert result.returncode == 0


def test_stopped_app_slot_pages_through_alertmanager(monitored: stack_module.RunningStack) -> None:
    url = _prometheus(monitored)
    _wait_targets(url, {"fixia-app"})
    out = monitored.state / "alerts" / "received.jsonl"
    assert not _blue_down_received(out)
    monitored.ctl("stop", "app-blue")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not _blue_down_received(out):
        time.sleep(1)
    assert _blue_down_received(out), receiver.received(out)


def _blue_down_received(out: Path) -> bool:
    for entry in receiver.received(out):
        if entry["path"] != "/pagerduty":
            continue
        summary = str(entry["body"].get("payload", {}).get("summary", ""))
        trigger = entry["body"].get("event_action") == "trigger"
        if trigger and "InstanceDown" in summary and "blue" in summary:
            return True
    return False
