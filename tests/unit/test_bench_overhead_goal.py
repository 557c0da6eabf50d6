"""`make bench` prints the observability goal with the others: from the comparison's summary,
in the same results.json and results.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixiactl.bench import overhead
from fixiactl.bench.report import Scenario
from fixiactl.bench.runner import BenchOptions
from tests.unit.test_bench import _report


def _scenario(rps: float) -> Scenario:
    return Scenario("obs", "read mix", "read mix", 32, int(rps * 10), rps, {"p99": 10.0})


@pytest.mark.parametrize(("on", "met"), [(950.0, True), (850.0, False)])
def test_the_goal_is_the_throughput_cost_against_ten_percent(on: float, met: bool) -> None:
    summary = overhead.summarise([(True, _scenario(on)), (False, _scenario(1000.0))])
    goal = overhead.goal(summary)
    assert goal.met is met
    assert f"{1 - on / 1000:.1%}" in goal.measured and "10%" in goal.target


def test_the_main_run_gets_the_goal_in_its_results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = overhead.summarise([(True, _scenario(800.0)), (False, _scenario(1000.0))])

    def fake_compare(options: Any, progress: Any) -> dict[str, Any]:
        return {**summary, "files": {"overhead": str(tmp_path / "observability-overhead.json")}}

    monkeypatch.setattr(overhead, "compare", fake_compare)
    options = BenchOptions("bench", 1, 32, 1, 2000, 1000, False, 8, out_dir=tmp_path)
    report = _report()
    before = len(report["goals"])
    report = overhead.add_to(report, options, lambda _msg: None)
    written = json.loads((tmp_path / "results.json").read_text())
    assert len(written["goals"]) == before + 1 and written["goals"][-1]["met"] is False
    assert "observability overhead" in (tmp_path / "results.md").read_text()
    assert "overhead" in report["files"] and "markdown" in report["files"]


def test_the_plans_goal_names_the_shapes_that_scan() -> None:
    from fixiactl.bench.runner import plans_goal

    goal = plans_goal({"text": True, "rating": False}, {"services": 100_000})
    assert goal.met is False and "rating" in goal.measured and "100,000" in goal.goal
    assert plans_goal({"text": True}, {"services": 100_000}).met is True
