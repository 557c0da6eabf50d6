"""`fixiactl stack up --ha --monitoring` end to end: Prometheus scrapes each Patroni member,
the Patroni rules load and evaluate, and the series the alerts use describe the real cluster
(one primary, one sync standby, three members), so the alerts stay silent on a whole cluster."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fixiactl.stack import ha
from tests import stack as stack_module

PATRONI_ALERTS = {"PatroniNoLeader", "PatroniSyncStandbyMissing", "PatroniReplicationLag"}
WAIT_S = 90  # first scrapes and a rule evaluation on a host shared with other work


@pytest.fixture(scope="module")
def monitored_ha() -> Iterator[stack_module.RunningStack]:
    running = stack_module.start("--monitoring", suite="ha")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


def _query(stack: stack_module.RunningStack, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{stack.ports['prometheus']}/api/v1/query"
    body = httpx.get(url, params={"query": promql}, timeout=5).json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _until(stack: stack_module.RunningStack, promql: str, want: int) -> list[dict[str, Any]]:
    """The query's series once there are `want` of them (or the last answer after WAIT_S)."""
    deadline = time.monotonic() + WAIT_S
    result = _query(stack, promql)
    while len(result) != want and time.monotonic() < deadline:
        time.sleep(1)
        result = _query(stack, promql)
    return result


def test_every_patroni_member_is_scraped(monitored_ha: stack_module.RunningStack) -> None:
    up = _until(monitored_ha, 'up{job="patroni"} == 1', ha.MEMBERS)
    assert sorted(r["metric"]["member"] for r in up) == ["pg0", "pg1", "pg2"]


def test_the_alerts_series_describe_the_cluster(monitored_ha: stack_module.RunningStack) -> None:
    """What PatroniNoLeader and PatroniSyncStandbyMissing read: one series per member, exactly
    one primary and one sync standby, and no member sees the leader lock free."""
    primary = _until(monitored_ha, 'patroni_primary{job="patroni"}', ha.MEMBERS)
    assert len(primary) == ha.MEMBERS
    assert sum(float(r["value"][1]) for r in primary) == 1
    sync = _until(monitored_ha, 'patroni_sync_standby{job="patroni"}', ha.MEMBERS)
    assert sum(float(r["value"][1]) for r in sync) == 1
    unlocked = _until(monitored_ha, 'patroni_cluster_unlocked{job="patroni"}', ha.MEMBERS)
    assert [float(r["value"][1]) for r in unlocked] == [0.0] * ha.MEMBERS


def _patroni_rules(stack: stack_module.RunningStack) -> dict[str, dict[str, Any]]:
    url = f"http://127.0.0.1:{stack.ports['prometheus']}/api/v1/rules"
    groups = httpx.get(url, params={"type": "alert"}, timeout=5).json()["data"]["groups"]
    return {r["name"]: r for g in groups if g["name"] == "patroni" for r in g["rules"]}


def test_the_patroni_rules_load_and_stay_silent(
    monitored_ha: stack_module.RunningStack,
) -> None:
    """Loaded, evaluated without error (health "unknown" until the first evaluation), and
    inactive on a whole cluster. PatroniNoLeader may be pending for an evaluation or two
    after start-up, before the leader's first scrape (its `for:` covers that); it must
    clear on its own."""
    deadline = time.monotonic() + WAIT_S
    rules = _patroni_rules(monitored_ha)
    while time.monotonic() < deadline and (
        not rules
        or any(r["health"] == "unknown" or r["state"] != "inactive" for r in rules.values())
    ):
        time.sleep(1)
        rules = _patroni_rules(monitored_ha)
    assert set(rules) == PATRONI_ALERTS
    assert {name: r["health"] for name, r in rules.items()} == dict.fromkeys(PATRONI_ALERTS, "ok")
    assert {name: r["state"] for name, r in rules.items()} == dict.fromkeys(
        PATRONI_ALERTS, "inactive"
    )
