"""The overhead comparison's arithmetic and its command-line switch."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from fixiactl.bench import cpu
from fixiactl.bench.overhead import ORDER, summarise
from fixiactl.bench.report import Scenario
from fixiactl.cli import app


def _scenario(rps: float, app_ms: float | None = None) -> Scenario:
    scenario = Scenario("obs", "read mix", "read mix", 32, int(rps * 10), rps, {"p99": 10.0})
    if app_ms is not None:
        scenario.cpu_ms_per_request = {"app": app_ms, "machine": app_ms * 2}
    return scenario


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


def test_pairs_and_cpu_per_request_are_reported_beside_the_throughput() -> None:
    runs = [
        (True, _scenario(900, 2.2)),
        (False, _scenario(1000, 2.0)),
        (False, _scenario(800, 2.0)),
        (True, _scenario(780, 2.2)),
    ]
    report = summarise(runs)
    assert report["pair_costs"] == [0.1, 0.025]
    assert report["median_pair_cost"] == 0.0625
    assert report["app_cpu"] == {"ms_on": 2.2, "ms_off": 2.0, "cost": 0.1}
    assert report["machine_cpu"] == {"ms_on": 4.4, "ms_off": 4.0, "cost": 0.1}
    assert summarise([(True, _scenario(900)), (False, _scenario(1000))])["app_cpu"] is None


def _write_proc(root: Path, pid: int, ppid: int, utime: int, stime: int) -> None:
    (root / str(pid)).mkdir()
    fields = ["S", str(ppid)] + ["0"] * 9 + [str(utime), str(stime)] + ["0"] * 5
    (root / str(pid) / "stat").write_text(f"{pid} (python (uvicorn)) " + " ".join(fields))


def test_a_process_tree_and_the_machine_are_read_from_proc(tmp_path: Path) -> None:
    tick = os.sysconf("SC_CLK_TCK")
    _write_proc(tmp_path, 10, 1, tick * 2, tick)  # the slot's master: 3 s
    _write_proc(tmp_path, 11, 10, tick * 5, 0)  # a worker: 5 s
    _write_proc(tmp_path, 12, 11, tick, 0)  # the worker's child: 1 s
    _write_proc(tmp_path, 20, 1, tick * 100, 0)  # someone else
    assert cpu.tree_cpu_s([10], tmp_path) == 9.0
    assert cpu.tree_cpu_s([10, 20], tmp_path) == 109.0
    # user nice system idle iowait irq softirq steal
    (tmp_path / "stat").write_text(f"cpu  {tick * 4} 0 {tick} {tick * 50} {tick * 2} 0 0 0 0 0\n")
    assert cpu.machine_busy_s(tmp_path) == 5.0


def test_the_comparison_runs_on_long_ttls_and_gives_the_configured_ones_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fixiactl.bench import overhead

    rendered: list[dict[str, str]] = []
    monkeypatch.setattr(
        overhead, "render_all", lambda c, s, as_root: rendered.append(dict(c.app_env))
    )
    monkeypatch.setattr(overhead, "Supervisor", lambda _path: SimpleNamespace(all_info=list))
    config = SimpleNamespace(name="unit", app_env={"FIXIA_CACHE__SEARCH_TTL_S": "45", "X": "1"})
    stack = SimpleNamespace(ports={})
    configured = {"FIXIA_CACHE__SEARCH_TTL_S": "45"}
    overhead.switch(config, stack, enabled=False, progress=print)  # type: ignore[arg-type]
    overhead.switch(config, stack, enabled=True, progress=print, cache=configured)  # type: ignore[arg-type]
    during, after = rendered
    assert (
        during["FIXIA_CACHE__SEARCH_TTL_S"] == "3600"
        and during["FIXIA_CACHE__SERVICE_TTL_S"] == "3600"
    )
    assert during[overhead.SWITCH] == "false" and during["X"] == "1"
    assert after == {"FIXIA_CACHE__SEARCH_TTL_S": "45", "X": "1", overhead.SWITCH: "true"}


def test_each_measured_run_follows_an_unmeasured_warmup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A slot restarted for the switch is warmed by the same load before it is measured."""
    from fixiactl.bench import overhead
    from fixiactl.bench.runner import BenchOptions

    events: list[tuple[str, int]] = []
    monkeypatch.setattr(
        overhead, "run_wrk", lambda run, port, data: events.append(("warmup", run.duration_s))
    )
    measured = _scenario(500)

    def load(
        name: str, label: str, load: str, run: object, data: Path, paths: list[str]
    ) -> Scenario:
        events.append(("measured", run.duration_s))  # type: ignore[attr-defined]
        return measured

    ctx = SimpleNamespace(
        options=BenchOptions(duration_s=20, connections=32), port=1, progress=print, load=load
    )
    scenario = overhead.measure(ctx, "obs-0", "on", tmp_path / "d.lua", ["/x"])  # type: ignore[arg-type]
    assert scenario is measured
    assert events == [("warmup", overhead.WARMUP_S), ("measured", 20)]


def test_the_first_run_is_not_counted() -> None:
    from fixiactl.bench import overhead

    calls: list[tuple[str, bool]] = []

    def side(name: str, enabled: bool, note: str) -> Scenario:
        calls.append((name, enabled))
        return _scenario(100 if name == "obs-discarded" else 500)

    discarded, runs = overhead.sequence(side)
    assert calls[0] == ("obs-discarded", ORDER[0]) and discarded.rps == 100
    assert [e for e, _ in runs] == list(ORDER) and len(calls) == len(ORDER) + 1
    assert summarise(runs)["rps_on"] == summarise(runs)["rps_off"] == 500
