"""Evidence of every step verdict, and its replay.

Each step's deciding judgement writes `deploy/<deploy id>.evidence/step-<weight>.json`: the
raw counts (the canary's and the baseline's snapshots over the step), the thresholds in force,
the window (step, hold, deadline, seconds covered and elapsed, source) and the verdict with its
statistics and reasons. `fixiactl deploy explain ID --replay` recomputes every verdict from
those files alone, with the same `analysis.judge`, and says where it differs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fixiactl.deploy import analysis
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, Judgement, Thresholds
from fixiactl.deploy.journal import deploy_dir
from fixiactl.deploy.metrics import Snapshot
from fixiactl.errors import FixiactlError


@dataclass(frozen=True)
class Window:
    step: int
    hold_s: float
    deadline_s: float
    covered_s: float
    elapsed_s: float
    source: str
    slot_down: bool = False  # the canary could not be read at all: FAIL with no numbers


def folder(env: str, deploy_id: str) -> Path:
    return deploy_dir(env) / f"{deploy_id}.evidence"


def write(
    env: str,
    deploy_id: str,
    *,
    canary: Snapshot,
    baseline: Snapshot,
    thresholds: Thresholds,
    window: Window,
    judgement: Judgement,
) -> Path:
    path = folder(env, deploy_id) / f"step-{window.step:03d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "deploy_id": deploy_id,
        "canary": canary.as_dict(),
        "baseline": baseline.as_dict(),
        "thresholds": asdict(thresholds),
        "window": asdict(window),
        "judgement": judgement.as_dict(),
    }
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def snapshot(data: dict[str, Any]) -> Snapshot:
    def numbers(buckets: dict[str, Any]) -> dict[float, float]:
        return {float(le): float(v) for le, v in buckets.items()}

    return Snapshot(
        float(data["requests"]),
        float(data["errors"]),
        numbers(data.get("buckets", {})),
        data.get("at"),
        routes={route: numbers(b) for route, b in data.get("routes", {}).items()},
    )


def recompute(evidence: dict[str, Any]) -> Judgement:
    """The verdict from the evidence alone, as the engine reached it."""
    window = Window(**evidence["window"])
    if window.slot_down:
        return Judgement(FAIL, list(evidence["judgement"]["reasons"]))
    thresholds = Thresholds(**evidence["thresholds"])
    judgement = analysis.judge(
        snapshot(evidence["canary"]), snapshot(evidence["baseline"]), thresholds
    )
    if judgement.verdict == INSUFFICIENT_DATA and window.elapsed_s > window.deadline_s:
        judgement.verdict = FAIL
        judgement.reasons.append(f"still too little data after {window.deadline_s:.0f} s")
    return judgement


def replay(env: str, deploy_id: str) -> list[dict[str, Any]]:
    """Every step's recorded verdict next to the recomputed one."""
    paths = sorted(folder(env, deploy_id).glob("step-*.json"))
    if not paths:
        raise FixiactlError(
            f"no evidence for deploy {deploy_id} in {env}",
            hint="deploys analysed before evidence files existed, and fast-track rollbacks, "
            "have none",
        )
    rows = []
    for path in paths:
        evidence = json.loads(path.read_text())
        recorded, again = evidence["judgement"], recompute(evidence)
        rows.append(
            {
                "step": evidence["window"]["step"],
                "file": str(path),
                "recorded": recorded["verdict"],
                "replayed": again.verdict,
                "reasons": again.reasons,
                "same": again.verdict == recorded["verdict"]
                and again.reasons == recorded["reasons"],
            }
        )
    return rows
