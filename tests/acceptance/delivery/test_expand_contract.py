"""Expand/contract on a real stack: with --allow-contract the contract migration runs only once
the release that needs the old schema has been drained and stopped.

Runs after test_deploys.py (file order) on the same stack, or on its own: it first puts the
`expand` release live (it maps `services.delivery_hint`, so every services query it serves
reads that column), then deploys `contract` (maps it no more; drops it) under light load.
"""

from __future__ import annotations

import threading
from typing import Any

from fixiactl.deploy.haproxy import Runtime
from fixiactl.deploy.journal import Slots, deploy_records
from fixiactl.stack import postgres
from tests.acceptance.delivery.conftest import Ctl, wait_for, why
from tests.acceptance.delivery.load import Load

# Light, bounded load: enough requests for each step's analysis, little CPU on a shared box.
LIGHT = {"connections": 6, "delay_ms": 50, "max_s": 180, "max_requests": 30_000}
CONTRACT_REVISION = "0100_dlv_contract"


def _hint_column(ctl: Ctl) -> bool:
    out = postgres.psql(
        ctl.state / "pg",
        ctl.ports["postgres"],
        "select count(*) from information_schema.columns "
        "where table_name = 'services' and column_name = 'delivery_hint'",
        database="fixia",
    )
    return out.strip() == "1"


def _new_deploy_id(ctl: Ctl, known: set[object]) -> Any:
    return next((e["deploy_id"] for e in ctl.events() if e["deploy_id"] not in known), None)


def _put_expand_live(ctl: Ctl, releases: dict[str, str]) -> None:
    if Slots.load(ctl.env).releases[Slots.load(ctl.env).active] == releases["expand"]:
        return
    with Load(ctl.http, **LIGHT) as load:  # type: ignore[arg-type]
        code, data, err = ctl.deploy(releases["expand"], "--strategy", "blue-green", "--hold", "3")
        result = load.stop()
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert result.failed == 0, result


def test_contract_runs_once_the_old_release_has_retired(ctl: Ctl, releases: dict[str, str]) -> None:
    _put_expand_live(ctl, releases)
    old_slot = Slots.load(ctl.env).active
    assert _hint_column(ctl)
    outcome: dict[str, Any] = {}
    args = ("--steps", "25,100", "--hold", "8", "--allow-contract")

    def run() -> None:
        outcome["code"], outcome["data"], outcome["err"] = ctl.deploy(releases["contract"], *args)

    known = {e["deploy_id"] for e in ctl.events()}
    with Load(ctl.http, **LIGHT) as load:  # type: ignore[arg-type]
        thread = threading.Thread(target=run)
        thread.start()
        deploy_id = wait_for(lambda: _new_deploy_id(ctl, known), 60)
        # Read in process (not through `deploy explain`): the observation must be prompt.
        wait_for(
            lambda: [r for r in deploy_records(ctl.env, deploy_id) if r["kind"] == "shift"], 120
        )
        # The canary takes traffic; the old release still serves and reads the column.
        old = Runtime(ctl.state).stats()[old_slot]
        during = _hint_column(ctl)
        kinds_then = {r["kind"] for r in deploy_records(ctl.env, deploy_id)}
        thread.join(timeout=170)
        result = load.stop()
    data = outcome["data"]
    assert outcome["code"] == 0 and data["result"] == "promoted", outcome
    assert old.status.startswith("UP") and old.weight > 0, old
    assert during and "drained" not in kinds_then and "contract_started" not in kinds_then
    assert not _hint_column(ctl), "the contract migration did not run"
    assert result.failed == 0 and data["failed_requests"] == 0, (result, data)

    records = ctl.records(deploy_id)
    kinds = [r["kind"] for r in records]
    deferred = next(r for r in records if r["kind"] == "deferred")
    assert deferred["revisions"] == [CONTRACT_REVISION]
    assert deferred["until_retired"] == releases["expand"]
    assert "migrated" not in kinds  # nothing to run before the slot started
    # The old slot served during the canary step, then drained, then the contract ran.
    baseline = [r["baseline"]["requests"] for r in records if r["kind"] == "measurement"]
    assert max(baseline) > 0, baseline
    assert kinds.index("drained") < kinds.index("contract_started") < kinds.index("contracted")
    contracted = next(r for r in records if r["kind"] == "contracted")
    assert contracted["ran"] == [CONTRACT_REVISION]
    assert data["contract"]["rollback_unsafe"][0] == releases["expand"]

    slots = Slots.load(ctl.env)
    assert slots.previous == releases["expand"] and releases["expand"] in slots.rollback_unsafe
    assert releases["contract"] not in slots.rollback_unsafe

    # Rolling back onto the contracted schema needs a confirmation: --yes, as no terminal
    # is there to ask on (an answer piped in does not count). Refused: exit 3.
    refused = ctl.run("rollback", "--env", ctl.env, "--json")
    assert refused.returncode == 3 and "not rollback-safe" in refused.stderr, refused
    declined = ctl.run("rollback", "--env", ctl.env, stdin="y\n")
    assert declined.returncode == 3 and "Roll back anyway?" in declined.stderr, declined
    assert Slots.load(ctl.env).releases[Slots.load(ctl.env).active] == releases["contract"]
    assert [e for e in ctl.events() if e["deploy_id"] not in known | {deploy_id}] == []
