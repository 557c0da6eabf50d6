"""The error-budget policy on a real stack with --monitoring (test.toml: one worker per slot,
floor 10 %, rules evaluated every 2 s).

The burn is real 5xx on the live slot: a release built with `error_rate=0.5, skip_first=N`
serves its first N requests well, so it passes its own deploy's analysis and is promoted,
then fails half of what production traffic brings. With api-availability's budget spent, a
normal deploy is refused with the reason and changes nothing; an override with a reason
deploys and lands in the app's audit log; a hotfix passes without one. The canary verdicts
are recomputed from their evidence files, and the month's SLO report counts the burn.

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
from tests.acceptance.delivery.conftest import Ctl, builder, clone_head, require, why
from tests.acceptance.delivery.load import Load, LoadResult

HEALTHY_FIRST = 1500  # requests the faulty release serves well (per worker) before failing
LATE_FAULT = ("error_rate=0.5", f"skip_first={HEALTHY_FIRST}")
PACED = {"connections": 4, "delay_ms": 20, "max_s": 180}
BLUE_GREEN = ("--strategy", "blue-green", "--hold", "3")


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


def _deploy(ctl: Ctl, release: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """A blue-green deploy under paced load: the analysis needs canary requests to judge."""
    with Load(ctl.http, **PACED, max_requests=20_000) as load:  # type: ignore[arg-type]
        time.sleep(1)
        code, data, err = ctl.deploy(release, *BLUE_GREEN, *args)
        load.stop()
    return code, dict(data), err


def _burn(ctl: Ctl, requests: int) -> LoadResult:
    with Load(ctl.http, **PACED, max_requests=requests) as load:  # type: ignore[arg-type]
        assert load.proc is not None
        load.proc.wait(timeout=PACED["max_s"] + 30)
        return load.stop()


def _availability_left(ctl: Ctl) -> float | None:
    with httpx.Client(timeout=5) as client:
        source = PrometheusBudget(f"http://127.0.0.1:{ctl.ports['prometheus']}", client=client)
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


def _release(ctl: Ctl) -> str:
    return str(httpx.get(f"{ctl.http}/healthz", timeout=10).json()["release"])


@pytest.fixture(scope="module")
def head_build(releases_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Releases of HEAD alone: the session's `source` gains the migration commits of the
    expand/contract tests, and a contract migration would refuse this module's deploys."""
    return builder(releases_dir, clone_head(tmp_path_factory.mktemp("budget-src") / "fixia"))


def test_a_burned_budget_refuses_a_deploy_and_an_audited_override_passes(
    monitored: Ctl,
    running: stack_module.RunningStack,
    build: Callable[..., str],
    head_build: Callable[..., str],
    tmp_path: Path,
) -> None:
    # `good` is HEAD's release, built once per session whichever test asks first.
    faulty, good = head_build(*LATE_FAULT), build()
    # 1. The faulty release passes its deploy (its fault waits), then burns the budget live.
    code, data, err = _deploy(monitored, faulty)
    assert code == 0 and data["result"] == "promoted", why(data, err)
    burned = _burn(monitored, 2 * HEALTHY_FIRST)
    assert burned.failed >= 100, burned  # the release really answered 5xx
    deadline = time.monotonic() + 90
    while (left := _availability_left(monitored)) is None or left >= 0.10:
        assert time.monotonic() < deadline, f"api-availability never went under the floor: {left}"
        time.sleep(1)

    # 2. A normal deploy is refused before anything changes, and says why and what to do.
    events = monitored.state / "deploy" / "deploys.jsonl"
    before = events.read_text()
    code, data, err = monitored.deploy(good, *BLUE_GREEN)
    assert code == 4 and data["result"] == "refused", (code, data, err)
    decision: dict[str, Any] = data["budget"]  # type: ignore[assignment]
    assert "api-availability" in decision["below"] and decision["floor"] == 0.10
    assert "api-availability has" in err and "under the floor of 10%" in err, err
    assert "--override-budget --reason" in err and "--hotfix" in err, err
    assert events.read_text() == before and _release(monitored) == faulty
    assert asyncio.run(_overrides(running)) == []

    # 3. The override deploys, and the app's audit log holds why and the budget it saw.
    reason = "acceptance: override of a spent budget"
    code, data, err = _deploy(monitored, good, "--override-budget", "--reason", reason)
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert data["budget"]["outcome"] == "override" and data["budget"]["audited"] is True
    assert _release(monitored) == good
    [entry] = asyncio.run(_overrides(running))
    assert entry["target"] == ("env", monitored.env)
    assert entry["reason"] == reason and entry["release"] == good
    assert "api-availability" in entry["below_floor"]
    assert entry["remaining"]["api-availability"] < 0.10
    started = [e for e in monitored.events() if e["event"] == "started"]
    assert started[-1]["budget"]["outcome"] == "override"  # type: ignore[index]

    # 4. The budget is still spent: a hotfix passes without an override, and is not audited.
    code, data, err = _deploy(monitored, "dev", "--hotfix")
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert data["budget"]["outcome"] == "hotfix" and data["budget"]["allowed"] is True
    assert "api-availability" in data["budget"]["below"]
    assert len(asyncio.run(_overrides(running))) == 1

    # 5. Every verdict of these deploys is recomputed from its evidence file alone.
    for deploy_id in {str(e["deploy_id"]) for e in started}:
        replay = monitored.run(
            "deploy", "explain", deploy_id, "--env", monitored.env, "--replay", "--json"
        )
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert all(r["same"] and r["replayed"] == "PASS" for r in json.loads(replay.stdout))

    # 6. The month's report counts the burn and splits it among deploys, incidents and the rest.
    report = _month_report(monitored, tmp_path)
    availability = next(s for s in report["slos"] if s["slo"] == "api-availability")
    assert availability["bad"] >= 50 and availability["burned"] > 0.9, availability
    kinds = {a["kind"] for a in availability["attributions"]}
    assert "deploy" in kinds and "unattributed" in kinds, availability["attributions"]
    deploys = {a["id"] for a in availability["attributions"] if a["kind"] == "deploy"}
    assert {str(e["deploy_id"]) for e in started} <= deploys
    # Each piece's rate() extrapolates on its own: the parts add up to the whole only nearly.
    assert sum(a["bad"] for a in availability["attributions"]) == pytest.approx(
        availability["bad"], rel=0.05
    )


def _month_report(ctl: Ctl, out: Path) -> dict[str, Any]:
    month = time.strftime("%Y-%m", time.gmtime())
    done = ctl.run("slo", "report", "--month", month, "--env", ctl.env, "--out", str(out), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    for suffix in ("md", "csv", "svg"):
        assert (out / f"slo-report-{month}.{suffix}").stat().st_size > 0
    return report
