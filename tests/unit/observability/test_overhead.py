"""The overhead comparison's arithmetic and its command-line switch."""

from __future__ import annotations

from typer.testing import CliRunner

from fixiactl.bench.overhead import ORDER, summarise
from fixiactl.bench.report import Scenario
from fixiactl.cli import app


def _scenario(rps: float) -> Scenario:
    return Scenario("obs", "read mix", "read mix", 32, int(rps * 10), rps, {"p99": 10.0})


def test_cost_is_the_throughput_lost_with_instrumentation_on() -> None:
    runs = [(True, _scenario(900)), (False, _scenario(1000)), (False, _scenario(1000))]
    runs.append((True, _scenario(900)))
    report = summarise(runs)
    assert report["rps_on"] == 900 and report["rps_off"] == 1000
    assert report["cost"] == 0.1 and report["met"] is True
    worse = summarise([(True, _scenario(800)), (False, _scenario(1000))])
    assert worse["cost"] == 0.2 and worse["met"] is False


def test_runs_alternate_so_drift_hits_both_sides() -> None:
    assert ORDER.count(True) == ORDER.count(False) and ORDER[0] == ORDER[-1]


def test_the_bench_command_offers_the_comparison() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--compare-observability" in result.output
