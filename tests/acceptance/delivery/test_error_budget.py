"""The error-budget policy on a real stack with --monitoring (test.toml: floor 10 %, 2 s rule
evaluation): a release answering 5xx burns api-availability's budget as a canary (deployed as
a hotfix, which the policy lets through), then a normal deploy is refused with the reason and
changes nothing, and an override with a reason deploys and lands in the app's audit log.

Its own stack: the burned budget must not leak into the other deploy tests.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixiactl.deploy.budget import PrometheusBudget
from tests import stack as stack_module
from tests.acceptance.delivery.conftest import Ctl, require
from tests.acceptance.delivery.load import Load

BAD = ("error_rate=0.3", "skip_first=20")
LOAD = {"connections": 6, "delay_ms": 40, "max_s": 150, "max_requests": 20_000}


@pytest.fixture(scope="module")
def running(releases_dir: Path) -> Iterator[stack_module.RunningStack]:
    for binary in ("wrk", "haproxy", "pgbouncer", "redis-server", "prometheus"):
        require(binary)
    running = stack_module.start("--monitoring")
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


@pytest.fixture(scope="module")
def monitored(running: stack_module.RunningStack, releases_dir: Path) -> Ctl:
    return Ctl(running.env, running.http, running.ports, running.state, releases_dir)


def _availability_left(monitored: Ctl) -> float | None:
    with httpx.Client(timeout=5) as client:
        source = PrometheusBudget(
            f"http://127.0.0.1:{monitored.ports['prometheus']}", client=client
        )
        return source.remaining(["api-availability"])[0].remaining


async def _overrides(running: stack_module.RunningStack) -> list[dict[str, Any]]:
    engine = create_async_engine(running.database_url)
    try:
        async with engine.connect() as conn:
            query = text(
                "select target_type, target_id, data from audit_log "
                "where action = 'deploy.budget_override'"
            )
            rows = (await conn.execute(query)).all()
    finally:
        await engine.dispose()
    return [
        {"target": (r[0], r[1]), **(r[2] if isinstance(r[2], dict) else json.loads(r[2]))}
        for r in rows
    ]


def test_a_burned_budget_refuses_a_deploy_and_an_audited_override_passes(
    monitored: Ctl, running: stack_module.RunningStack, build: Callable[..., str]
) -> None:
    bad, good = build(*BAD), build()
    # 1. Burn: the faulty release as a canary under load. A hotfix passes the policy whatever
    #    the budget; the canary's 5xx are rolled back, and stay in the 30 d window.
    with Load(monitored.http, **LOAD) as load:  # type: ignore[arg-type]
        time.sleep(2)
        code, data, err = monitored.deploy(bad, "--steps", "5,50,100", "--hold", "10", "--hotfix")
        burned = load.stop()
    assert code == 3 and data["result"] == "rolled_back", (data, err)
    assert data["budget"]["allowed"] is True, data["budget"]  # type: ignore[index]
    assert burned.failed > 0, "the faulty release never answered 5xx: nothing was burned"
    # The rollback's verdict is recomputed from its evidence file alone.
    replay = monitored.run("deploy", "explain", str(data["deploy_id"]), "--env", monitored.env,
                           "--replay", "--json")  # fmt: skip
    assert replay.returncode == 0, replay.stdout + replay.stderr
    replayed = json.loads(replay.stdout)
    assert replayed[-1]["recorded"] == replayed[-1]["replayed"] == "FAIL", replayed
    assert all(r["same"] for r in replayed)

    # 2. The recording rule (evaluated every 2 s) sees the burn: under the 10 % floor.
    deadline = time.monotonic() + 90
    while (left := _availability_left(monitored)) is None or left >= 0.10:
        assert time.monotonic() < deadline, f"api-availability never went under the floor: {left}"
        time.sleep(1)

    # 3. A normal deploy is refused before anything changes, and says why and what to do.
    events = monitored.state / "deploy" / "deploys.jsonl"
    before = events.read_text()
    code, data, err = monitored.deploy(good, "--strategy", "blue-green", "--hold", "3")
    assert code == 4 and data["result"] == "refused", (code, data, err)
    decision: dict[str, Any] = data["budget"]  # type: ignore[assignment]
    assert "api-availability" in decision["below"] and decision["floor"] == 0.10
    assert "api-availability has" in err and "under the floor of 10%" in err, err
    assert "--override-budget --reason" in err and "--hotfix" in err, err
    assert events.read_text() == before
    assert httpx.get(f"{monitored.http}/healthz", timeout=10).json()["release"] == "dev"
    assert asyncio.run(_overrides(running)) == []

    # 4. The override deploys, and the app's audit log holds who, why and the budget seen.
    reason = "acceptance: override of a spent budget"
    code, data, err = monitored.deploy(
        good, "--strategy", "blue-green", "--hold", "3", "--override-budget", "--reason", reason
    )
    assert code == 0 and data["result"] == "promoted", (data, err)
    assert data["budget"]["outcome"] == "override" and data["budget"]["audited"] is True  # type: ignore[index]
    assert httpx.get(f"{monitored.http}/healthz", timeout=10).json()["release"] == good
    [entry] = asyncio.run(_overrides(running))
    assert entry["target"] == ("env", monitored.env)
    assert entry["reason"] == reason and entry["release"] == good
    assert "api-availability" in entry["below_floor"]
    assert entry["remaining"]["api-availability"] < 0.10
    started = next(
        e for e in monitored.events() if e["event"] == "started" and e["release"] == good
    )
    assert started["budget"]["outcome"] == "override"  # type: ignore[index]
