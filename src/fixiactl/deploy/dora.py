"""DORA figures from the durable deploy log, and the same figures as textfile metrics.

- deployment frequency: promoted deploys per day over the window;
- lead time: commit time -> promoted, median over promoted deploys, promotions included (in
  production every deploy is a promotion, so there it is commit -> in production);
- change failure rate: (rolled back + failed + promoted-then-manually-rolled-back) / deploys;
- time to restore: first exposure -> traffic back on a good release (automatic rollbacks), or
  promoted -> manual rollback completed, median.
Rollbacks run by `fixiactl rollback` are recovery actions, not deploys.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, write_to_textfile

from fixiactl.deploy.journal import deploy_dir, deploy_events, read_jsonl
from fixiactl.stack.config import state_dir

OUTCOMES = ("promoted", "rolled_back", "failed")


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def compute(env: str, window_days: float = 7.0, now: float | None = None) -> dict[str, Any]:
    now = now or time.time()
    since = now - window_days * 86_400
    events = [e for e in deploy_events(env) if e["ts"] >= since]
    outcomes = [e for e in events if e["event"] in OUTCOMES]
    deploys = [e for e in outcomes if not e.get("rollback_of")]
    manual = {e["rollback_of"]: e for e in outcomes if e.get("rollback_of")}
    promoted = [e for e in deploys if e["event"] == "promoted"]
    failures = [e for e in deploys if e["event"] != "promoted" or e["deploy_id"] in manual]
    lead_times = [
        e["ts"] - datetime.fromisoformat(e["commit_time"]).timestamp()
        for e in promoted
        if e.get("commit_time")
    ]
    restore = [e["time_to_restore_s"] for e in deploys if e.get("time_to_restore_s") is not None]
    restore += [
        manual[e["deploy_id"]]["ts"] - e["ts"]
        for e in promoted
        if e["deploy_id"] in manual and manual[e["deploy_id"]]["event"] == "promoted"
    ]
    return {
        "env": env,
        "window_days": window_days,
        "deploys": len(deploys),
        "promoted": len(promoted),
        # Of those, deploys by `fixiactl promote` (a release that passed the previous stage).
        "promotions": sum(1 for e in promoted if e.get("promoted_from")),
        "failures": len(failures),
        "deployment_frequency_per_day": len(promoted) / window_days,
        "lead_time_seconds": _median(lead_times),
        "change_failure_rate": len(failures) / len(deploys) if deploys else None,
        "time_to_restore_seconds": _median(restore),
    }


def write_textfile(env: str) -> Path:
    """`<state>/textfile/fixia_delivery.prom`, rewritten whole (temp file, then rename)."""
    registry = CollectorRegistry()
    deploys = Counter("fixia_deploys", "Deploys", ["env", "strategy", "result"], registry=registry)
    rollbacks = Counter("fixia_rollbacks", "Rollbacks", ["env"], registry=registry)
    verdicts = Counter("fixia_canary_verdicts", "Analysis verdicts", ["verdict"], registry=registry)
    events = deploy_events(env)
    strategy = {e["deploy_id"]: e.get("strategy", "") for e in events if e["event"] == "started"}
    for e in events:
        if e["event"] in OUTCOMES and not e.get("rollback_of"):
            deploys.labels(env, strategy.get(e["deploy_id"], ""), e["event"]).inc()
        if e["event"] == "rolled_back" or (e.get("rollback_of") and e["event"] == "promoted"):
            rollbacks.labels(env).inc()
    for path in deploy_dir(env).glob("d*.jsonl"):
        for record in read_jsonl(path):
            if record.get("kind") == "measurement":
                verdicts.labels(record["verdict"]).inc()
    figures = compute(env)
    gauges = {
        "fixia_dora_deployment_frequency_per_day": figures["deployment_frequency_per_day"],
        "fixia_dora_lead_time_seconds": figures["lead_time_seconds"],
        "fixia_dora_change_failure_rate": figures["change_failure_rate"],
        "fixia_dora_time_to_restore_seconds": figures["time_to_restore_seconds"],
    }
    for name, value in gauges.items():
        if value is not None:
            Gauge(name, name, ["env"], registry=registry).labels(env).set(value)
    last = max((e["ts"] for e in events if e["event"] in OUTCOMES), default=None)
    if last is not None:
        Gauge(
            "fixia_deploy_last_timestamp_seconds", "Last deploy", ["env"], registry=registry
        ).labels(env).set(last)
    target = state_dir(env) / "textfile" / "fixia_delivery.prom"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(target), registry)
    os.chmod(target, 0o644)
    return target
