"""Every step verdict's evidence file recomputes to the same verdict, and a changed file
does not."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixiactl.cli import app
from fixiactl.deploy import analysis, evidence
from fixiactl.deploy.analysis import FAIL, INSUFFICIENT_DATA, PASS, Judgement, Thresholds
from fixiactl.deploy.evidence import Window
from fixiactl.deploy.metrics import Snapshot
from fixiactl.errors import FixiactlError

T = Thresholds()


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path))
    return tmp_path


def snap(requests: float, errors: float, slow: float = 0.0) -> Snapshot:
    fast = requests - slow
    buckets = {0.05: fast, 0.2: fast, 0.5: requests, math.inf: requests}
    return Snapshot(requests, errors, buckets, at=1_800_000_000.0)


def window(step: int, **kw: object) -> Window:
    data: dict[str, object] = {
        "step": step,
        "hold_s": 10.0,
        "deadline_s": 120.0,
        "covered_s": 10.5,
        "elapsed_s": 11.0,
        "source": "slots",
    } | kw
    return Window(**data)  # type: ignore[arg-type]


def record(step: int, canary: Snapshot, baseline: Snapshot, **kw: object) -> Judgement:
    j = analysis.judge(canary, baseline, T)
    if kw.get("deadline"):
        j.verdict = FAIL
        j.reasons.append("still too little data after 120 s")
    w = window(step, elapsed_s=130.0) if kw.get("deadline") else window(step)
    evidence.write("staging", "d1", canary=canary, baseline=baseline, thresholds=T, window=w,
                   judgement=j)  # fmt: skip
    return j


def test_each_verdict_replays_to_itself() -> None:
    assert record(5, snap(400, 0), snap(4000, 2)).verdict == PASS
    assert record(25, snap(30, 0), snap(400, 0), deadline=True).verdict == FAIL
    assert record(50, snap(300, 30), snap(3000, 1)).verdict == FAIL
    rows = evidence.replay("staging", "d1")
    assert [(r["step"], r["recorded"], r["replayed"]) for r in rows] == [
        (5, PASS, PASS), (25, FAIL, FAIL), (50, FAIL, FAIL)
    ]  # fmt: skip
    assert all(r["same"] for r in rows)
    assert "SPRT" in rows[2]["reasons"][0] and "too little data" in rows[1]["reasons"][-1]


def test_the_evidence_holds_counts_statistics_thresholds_and_window(state_root: Path) -> None:
    record(5, snap(400, 0), snap(4000, 2))
    data = json.loads((state_root / "staging/deploy/d1.evidence/step-005.json").read_text())
    assert data["canary"]["requests"] == 400 and data["baseline"]["errors"] == 2
    assert data["canary"]["buckets"]["+Inf"] == 400
    assert data["thresholds"]["alpha"] == T.alpha and data["thresholds"]["min_requests"] == 50
    assert data["window"] == {"step": 5, "hold_s": 10.0, "deadline_s": 120.0, "covered_s": 10.5,
                              "elapsed_s": 11.0, "source": "slots", "slot_down": False}  # fmt: skip
    assert data["judgement"]["stats"]["sprt_llr"] < 0


def test_an_edited_evidence_file_no_longer_replays_the_same(state_root: Path) -> None:
    record(5, snap(400, 0), snap(4000, 2))
    path = state_root / "staging/deploy/d1.evidence/step-005.json"
    data = json.loads(path.read_text())
    data["canary"]["errors"] = 40
    path.write_text(json.dumps(data))
    [row] = evidence.replay("staging", "d1")
    assert row["recorded"] == PASS and row["replayed"] == FAIL and not row["same"]
    done = CliRunner().invoke(app, ["deploy", "explain", "d1", "--env", "staging", "--replay"])
    assert done.exit_code == 1


def test_a_slot_down_failure_replays_from_its_recorded_reason() -> None:
    j = Judgement(FAIL, ["green's metrics are unreachable"])
    evidence.write("staging", "d1", canary=Snapshot(), baseline=Snapshot(), thresholds=T,
                   window=window(5, slot_down=True), judgement=j)  # fmt: skip
    [row] = evidence.replay("staging", "d1")
    assert row["replayed"] == FAIL and row["same"]


def test_insufficient_data_before_the_deadline_is_not_a_fail() -> None:
    data = {"window": {**window(5).__dict__, "elapsed_s": 30.0}, "thresholds": T.__dict__,
            "canary": snap(10, 0).as_dict(), "baseline": snap(400, 0).as_dict()}  # fmt: skip
    assert evidence.recompute(data).verdict == INSUFFICIENT_DATA


def test_replay_of_a_deploy_without_evidence_says_so() -> None:
    with pytest.raises(FixiactlError, match="no evidence for deploy d9"):
        evidence.replay("staging", "d9")
    done = CliRunner().invoke(app, ["deploy", "explain", "d1", "--env", "staging", "--replay",
                                    "--json"])  # fmt: skip
    assert done.exit_code == 1


def test_the_cli_replays_as_json() -> None:
    record(5, snap(400, 0), snap(4000, 2))
    done = CliRunner().invoke(app, ["deploy", "explain", "d1", "--env", "staging", "--replay",
                                    "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["same"] is True


def test_a_slow_route_verdict_replays_from_the_routes_in_the_evidence() -> None:
    """The per-route latency check rests on each route's buckets: the evidence keeps them."""

    def routed(slow_share: float) -> Snapshot:
        fast = 400 * (1 - slow_share)
        route = {0.025: fast, 0.05: 400.0, math.inf: 400.0}
        other = {0.025: 400.0, 0.05: 400.0, math.inf: 400.0}
        pooled = {le: route[le] + other[le] for le in route}
        return Snapshot(800, 0, pooled, at=1.0, routes={"/a": route, "/b": other})

    j = record(10, routed(0.6), routed(0.05))
    assert j.verdict == FAIL and "latency of /a" in j.reasons[0]
    (row,) = evidence.replay("staging", "d1")
    assert (row["recorded"], row["replayed"], row["same"]) == (FAIL, FAIL, True)
