"""Deploys on a real stack under bounded loopback load (wrk through HAProxy).

The scenarios share one stack and run in file order: each deploys against whatever release
the previous one left live, as an operator's day would.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.acceptance.delivery.conftest import Ctl, wait_for, why
from tests.acceptance.delivery.load import Load, LoadResult

MIN_RPS = float(os.environ.get("FIXIA_DELIVERY_MIN_RPS", "150"))
MIN_REQUESTS = int(os.environ.get("FIXIA_DELIVERY_MIN_REQUESTS", "10000"))
BENCH = Path(__file__).resolve().parents[3] / "var" / "bench" / "deploy.json"
# Enough pace for >= 150 RPS with up to ~50 ms latency; each connection waits between requests.
LOAD = {"connections": 16, "delay_ms": 50}


def _bench(key: str, value: Any) -> None:
    BENCH.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(BENCH.read_text()) if BENCH.exists() else {}
    data[key] = value
    BENCH.write_text(json.dumps(data, indent=2))


def _deploy_under_load(
    ctl: Ctl, release: str, *args: str, min_load_s: float = 0
) -> tuple[int, dict[str, Any], str, LoadResult]:
    with Load(ctl.http, max_s=400, **LOAD) as load:
        time.sleep(3)
        started = time.monotonic()
        code, data, err = ctl.deploy(release, *args)
        # Keep the load on long enough for the request-count floor (bounded by max_s).
        time.sleep(max(2.0, min_load_s - (time.monotonic() - started)))
        result = load.stop()
    return code, data, err, result


def _assert_sustained(load: LoadResult) -> None:
    assert load.rps >= MIN_RPS, f"load only reached {load.rps:.0f} RPS: {load}"
    assert load.requests >= MIN_REQUESTS, load


def test_blue_green_deploy_under_load_fails_no_request(ctl: Ctl, releases: dict[str, str]) -> None:
    code, data, err, load = _deploy_under_load(
        ctl, releases["good"], "--strategy", "blue-green", "--hold", "5", min_load_s=70
    )
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert load.failed == 0, load
    assert data["failed_requests"] == 0, data
    _assert_sustained(load)
    assert httpx.get(f"{ctl.http}/healthz").json()["release"] == releases["good"]
    _bench("blue_green_start_to_full_traffic_s", data["time_to_full_traffic_s"])
    # Deploys cover the job-queue workers: the serving slot's worker runs (the release's
    # code, from the slot's venv), the retired slot's worker stopped with its app.
    status = ctl.run("stack", "status", "--env", ctl.env, "--json")
    states = {c["name"]: c["state"] for c in json.loads(status.stdout)}
    serving = {s for s in ("blue", "green") if states[f"app-{s}"] == "RUNNING"}
    working = {s for s in ("blue", "green") if states[f"worker-{s}"] == "RUNNING"}
    assert serving and working == serving, states


def test_three_step_canary_under_load_fails_no_request(ctl: Ctl, releases: dict[str, str]) -> None:
    code, data, err, load = _deploy_under_load(
        ctl, releases["good2"], "--steps", "5,50,100", "--hold", "8", min_load_s=70
    )
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert load.failed == 0, load
    _assert_sustained(load)
    shifts = [r["weight"] for r in ctl.records(data["deploy_id"]) if r["kind"] == "shift"]
    assert shifts == [5, 50, 100]
    _bench("canary_start_to_full_traffic_s", data["time_to_full_traffic_s"])


def test_release_failing_requests_is_rolled_back_in_first_step(
    ctl: Ctl, releases: dict[str, str]
) -> None:
    code, data, err, load = _deploy_under_load(ctl, releases["errors"], "--hold", "10")
    assert code == 3 and data["result"] == "rolled_back", why(data, err)
    assert data["step"] == 5
    assert load.failed <= 0.005 * load.requests, load
    assert load.failed > 0, "the faulty release never answered: the test proves nothing"
    records = ctl.records(data["deploy_id"])
    verdicts = [r for r in records if r["kind"] == "measurement" and r["verdict"] == "FAIL"]
    assert "SPRT" in verdicts[0]["reasons"][0]
    recovery = next(r for r in records if r["kind"] == "recovery")
    assert recovery["recovered"] is True
    # Still serving the release from before, and it is healthy.
    assert httpx.get(f"{ctl.http}/healthz").json()["release"] == releases["good2"]
    shift = next(r for r in records if r["kind"] == "shift")
    drained = next(r for r in records if r["kind"] == "drained")
    _bench("bad_canary_first_traffic_to_rollback_complete_s", round(drained["ts"] - shift["ts"], 2))
    _bench("bad_canary_load_rps", round(load.rps, 1))


def test_slow_release_is_rolled_back(ctl: Ctl, releases: dict[str, str]) -> None:
    code, data, err, load = _deploy_under_load(ctl, releases["slow"], "--hold", "15")
    assert code == 3 and data["result"] == "rolled_back", why(data, err)
    assert any("latency" in r for r in data["reasons"]), data
    assert load.failed == 0, load


def test_never_ready_release_gets_no_traffic(ctl: Ctl, releases: dict[str, str]) -> None:
    from fixiactl.deploy.haproxy import Runtime
    from fixiactl.deploy.journal import Slots

    idle = Slots.load(ctl.env).idle
    before = Runtime(ctl.state).stats()[idle].total
    code, data, err, load = _deploy_under_load(
        ctl, releases["never_ready"], "--ready-timeout", "15"
    )
    assert code == 3 and data["result"] == "failed" and data["stage"] == "readiness", why(data, err)
    assert Runtime(ctl.state).stats()[idle].total == before
    assert load.failed == 0, load
    assert not [r for r in ctl.records(data["deploy_id"]) if r["kind"] == "shift"]


def test_healthy_release_without_traffic_waits_for_traffic(
    ctl: Ctl, releases: dict[str, str]
) -> None:
    """No load until the first step has measured for 10 s: it must report INSUFFICIENT_DATA
    and wait (not promote, not fail) until traffic arrives."""
    outcome: dict[str, Any] = {}
    args = ("--steps", "50,100", "--hold", "5", "--step-deadline", "120")

    def run() -> None:
        outcome["code"], outcome["data"], outcome["err"] = ctl.deploy(releases["good"], *args)

    known = {e["deploy_id"] for e in ctl.events()}
    thread = threading.Thread(target=run)
    thread.start()
    deploy_id = wait_for(
        lambda: next((e["deploy_id"] for e in ctl.events() if e["deploy_id"] not in known), None),
        60,
    )
    wait_for(lambda: [r for r in ctl.records(deploy_id) if r["kind"] == "shift"], 120)
    time.sleep(10)
    traffic_from = time.time()
    with Load(ctl.http, max_s=150, **LOAD) as load:
        thread.join(timeout=140)
        load.stop()
    data = outcome["data"]
    assert outcome["code"] == 0 and data["result"] == "promoted", outcome
    measured = [r for r in ctl.records(deploy_id) if r["kind"] == "measurement"]
    before = [r for r in measured if r["ts"] < traffic_from]
    assert len(before) >= 5 and all(r["verdict"] == "INSUFFICIENT_DATA" for r in before), before
    assert measured[-1]["ts"] > traffic_from


def test_expand_migration_keeps_the_old_release_working(ctl: Ctl, releases: dict[str, str]) -> None:
    code, data, err, load = _deploy_under_load(ctl, releases["expand"], "--steps", "5,100")
    assert code == 0 and data["result"] == "promoted", why(data, err)
    assert load.failed == 0, load
    started = next(e for e in ctl.events() if e["deploy_id"] == data["deploy_id"])
    assert started["migrations"]["expand"] == ["0099_dlv_expand"]
    # The previous release runs again on the expanded schema: ready, and serving.
    with Load(ctl.http, max_s=120, **LOAD) as load:
        back = ctl.run("rollback", "--env", ctl.env, "--json")
        time.sleep(2)
        result = load.stop()
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["result"] == "promoted"
    assert httpx.get(f"{ctl.http}/healthz").json()["release"] == releases["good"]
    assert httpx.get(f"{ctl.http}/readyz").json()["checks"]["migrations"] == "ahead"
    assert result.failed == 0, result


def test_contract_migration_is_refused_while_the_old_release_serves(
    ctl: Ctl, releases: dict[str, str]
) -> None:
    code, data, err = ctl.deploy(releases["contract"])
    assert code == 1 and not data
    assert "contract migration(s) 0100_dlv_contract refused" in err, err
    assert releases["good"] in err
    refused = [e for e in ctl.events() if e.get("release") == releases["contract"]]
    assert refused == []


def test_dora_matches_the_deploy_log(ctl: Ctl) -> None:
    out = ctl.run("dora", "--env", ctl.env, "--json")
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    events = ctl.events()
    outcomes = [e for e in events if e["event"] in ("promoted", "rolled_back", "failed")]
    deploys = [e for e in outcomes if not e.get("rollback_of")]
    rolled_back_ids = {e["rollback_of"] for e in outcomes if e.get("rollback_of")}
    failures = [e for e in deploys if e["event"] != "promoted" or e["deploy_id"] in rolled_back_ids]
    # This run: blue-green, canary, errors, slow, never-ready, no-traffic, expand (then a
    # manual rollback of it, which is a recovery, not a deploy).
    assert len(deploys) == 7
    assert len(failures) == 4  # errors, slow, never-ready, and expand (rolled back by hand)
    assert figures["deploys"] == len(deploys)
    assert figures["change_failure_rate"] == len(failures) / len(deploys)
    assert figures["deployment_frequency_per_day"] == 4 / 7  # 4 promoted over a 7-day window
    textfile = (ctl.state / "textfile" / "fixia_delivery.prom").read_text()
    # prometheus-client writes labels in alphabetical order.
    rolled_back = f'fixia_deploys_total{{env="{ctl.env}",result="rolled_back",strategy="canary"}}'
    assert f"{rolled_back} 2.0" in textfile
    assert "fixia_dora_change_failure_rate" in textfile
