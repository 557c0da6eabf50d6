"""`fixiactl bench --compare-images`: its report's arithmetic and its command-line switch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from fixiactl.bench import images
from fixiactl.bench.overhead import summarise
from fixiactl.bench.report import Scenario
from fixiactl.cli import app


def _scenario(rps: float) -> Scenario:
    return Scenario("images", "read mix", "read mix", 32, int(rps * 10), rps, {"p99": 10.0})


def test_the_cost_is_how_much_slower_the_mix_is_with_image_urls() -> None:
    runs = [(True, _scenario(940)), (False, _scenario(1000))]
    report = summarise(runs, images.GOAL_MAX_COST, side="images")
    assert report["cost"] == 0.06 and report["met"] is False  # goal: at most 5 %
    assert [r["images"] for r in report["runs"]] == [True, False]
    faster = summarise([(True, _scenario(1000)), (False, _scenario(990))], 0.05, side="images")
    assert faster["met"] is True and faster["cost"] < 0


def test_the_switch_runs_the_images_comparison_only(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[Any] = []

    def fake(options: Any, progress: Any) -> dict[str, Any]:
        called.append(options)
        return {"cost": 0.0, "files": {"json": "x.json"}}

    monkeypatch.setattr(images, "compare", fake)
    result = CliRunner().invoke(app, ["bench", "--compare-images", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    assert len(called) == 1 and json.loads(result.output)["cost"] == 0.0
