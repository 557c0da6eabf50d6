"""`fixiactl bench`: load the bench stack through HAProxy and report against the goals."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fixiactl.bench.report import README_CHART, chart_link, replace_readme_section
from fixiactl.bench.runner import BenchOptions, run
from fixiactl.cli.common import (
    DurationOption,
    EnvOption,
    JsonOption,
    console,
    emit_json,
    operator_errors,
    parse_duration,
    progress,
)
from fixiactl.errors import FixiactlError
from fixiactl.stack import controller
from fixiactl.stack.config import ROOT

app = typer.Typer(help="Benchmark the stack: wrk through HAProxy, two baselines, a report.")


def wrk_seconds(text: str) -> int:
    """A scenario's length in the one duration format (common.parse_duration), whole
    seconds from 1 s to 10 minutes."""
    try:
        seconds = int(parse_duration(text))
    except typer.BadParameter as exc:
        raise FixiactlError(f"cannot read duration {text!r}", hint="use e.g. 10s, 2m") from exc
    if not 1 <= seconds <= 600:
        raise FixiactlError(f"duration {text!r} is out of range", hint="between 1s and 10m")
    return seconds


def _goals_table(report: dict[str, Any]) -> Table:
    table = Table(title="Goals")
    for column in ("goal", "target", "measured", "met"):
        table.add_column(column)
    for g in report["goals"]:
        met = "[green]yes[/green]" if g["met"] else "[red]no[/red]"
        table.add_row(g["goal"], g["target"], g["measured"], met)
    return table


def _update_readme(files: dict[str, str]) -> None:
    """The table between the README's bench markers, and the latency chart kept in docs/."""
    readme = ROOT / "README.md"
    shutil.copyfile(files["plot"], ROOT / README_CHART)
    table = chart_link(Path(files["markdown"]).read_text())
    updated = replace_readme_section(readme.read_text(), table)
    if updated is None:
        raise FixiactlError("README.md has no bench markers", hint="add <!-- bench:start/end -->")
    readme.write_text(updated)


@app.callback(invoke_without_command=True)
def bench(
    env: Annotated[str, EnvOption] = "bench",
    duration: Annotated[
        str, typer.Option(help="Per scenario: 10s, 1m…", metavar="DURATION")
    ] = "10s",
    connections: Annotated[int, typer.Option(min=1, max=1000, help="Read runs")] = 32,
    write_connections: Annotated[int, typer.Option(min=1, max=1000, help="Write runs")] = 8,
    threads: Annotated[int, typer.Option(min=1, max=8, help="wrk threads")] = 1,
    rate: Annotated[int, typer.Option(min=10, max=100_000, help="Paced run's RPS")] = 2000,
    scale: Annotated[
        int | None,
        typer.Option(min=1000, max=2_000_000, help="Services to seed (100,000; --ha-reads: 5,000)"),
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="3 s smoke run")] = False,
    readme: Annotated[bool, typer.Option("--readme", help="Put the table in README.md")] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the stack afterwards")] = False,
    compare_observability: Annotated[
        bool,
        typer.Option(
            "--compare-observability",
            help="Only the read mix, with metrics/tracing/access log on and off (on, off, off, on)",
        ),
    ] = False,
    compare_images: Annotated[
        bool,
        typer.Option(
            "--compare-images",
            help="Only the read mix, with and without image URLs in its responses",
        ),
    ] = False,
    streams: Annotated[
        bool,
        typer.Option(
            "--streams",
            help="Only the streams: memory per idle stream, delivery latency across slots, "
            "the read mix with and without 2,000 streams open",
        ),
    ] = False,
    ha: Annotated[
        bool,
        typer.Option(
            "--ha",
            help="Only the HA failover: kill -9 of the leader under 50 writes/s, --runs times "
            "(an HA stack: fixiactl stack up --ha)",
        ),
    ] = False,
    ha_reads: Annotated[
        bool,
        typer.Option(
            "--ha-reads",
            help="Only search reads through the primary route vs the replica route, idle and "
            "under writes (an HA stack); var/bench/ha-reads.*",
        ),
    ] = False,
    aa: Annotated[
        int,
        typer.Option(
            "--aa",
            min=0,
            max=50,
            help="Only N A/A deploys (the same commit over itself) on a throw-away stack: "
            "the real false-rollback rate and the recorded request streams; var/bench/aa.*",
        ),
    ] = 0,
    canary: Annotated[
        bool,
        typer.Option(
            "--canary",
            help="Only the canary analysis replayed from recorded request streams: the A/A "
            "false-rollback rate and detection times; no stack; var/bench/canary.*",
        ),
    ] = False,
    runs: Annotated[
        int | None,
        typer.Option(min=1, max=20_000, help="--ha: kill runs (5); --canary: replayed runs (400)"),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="With --aa: deploy a release of HEAD built with this fault instead "
            "(e.g. error_rate=0.05); every rollback is a detection, timed",
        ),
    ] = None,
    steps: Annotated[str, typer.Option(help="With --aa: the deploys' canary steps")] = (
        "5,10,25,50,100"
    ),
    hold: Annotated[float, DurationOption("With --aa: each step's hold, e.g. 15s")] = 15,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Seed the scale dataset once, load the stack through HAProxy and write var/bench/.

    Scenarios: the framework ceiling (/healthz), the read mix (unpaced and paced), each
    cached read, the write mix and each write, and the database floor (search SQL alone);
    then (not with --quick) the observability comparison, whose goal joins the others.
    """
    with operator_errors():
        seconds = 3 if quick else wrk_seconds(duration)
        options = BenchOptions(
            env, seconds, connections, threads, rate, scale or 100_000, quick, write_connections
        )
        if streams:
            _streams(options, as_json=as_json, stop=stop)
            return
        if ha:
            _ha(options, min(runs or 5, 20), as_json=as_json, stop=stop)
            return
        if ha_reads:
            _ha_reads(options.env, scale or 5000, as_json=as_json, stop=stop)
            return
        if aa:
            _aa(aa, options, tuple(fault or ()), steps, hold, as_json=as_json)
            return
        if canary:
            _canary(max(runs or 400, 10), options, as_json=as_json)
            return
        if compare_observability or compare_images:
            _compare_read_mix(options, images=compare_images, as_json=as_json, stop=stop)
            return
        try:
            with progress(not as_json) as step:
                report = run(options, step)
                if not quick:
                    from fixiactl.bench import overhead

                    report = overhead.add_to(report, options, step)
        finally:
            if stop:
                controller.down(env, lambda _msg: None)
        if readme:
            _update_readme(report["files"])
    if as_json:
        emit_json(report)
        return
    console.print(_goals_table(report))
    for kind, path in report["files"].items():
        console.print(f"{kind}: {path}")


def _overhead_table(
    report: dict[str, Any],
    title: str = "Observability overhead, read mix (on vs off)",
    sides: tuple[str, str] = ("on", "off"),
) -> Table:
    table = Table(title=title)
    for column in ("measure", *sides, "cost"):
        table.add_column(column)
    verdict = "met" if report["met"] else "MISSED"
    table.add_row(
        f"throughput, RPS (goal: cost <= {report['goal_max_cost']:.0%}: {verdict})",
        str(report["rps_on"]),
        str(report["rps_off"]),
        f"{report['cost']:.1%}",
    )
    if report.get("median_pair_cost") is not None:
        pairs = ", ".join(f"{c:.1%}" for c in report["pair_costs"])
        table.add_row(
            f"throughput, adjacent pairs ({pairs})",
            "",
            "",
            f"median {report['median_pair_cost']:.1%}",
        )
    for key, label in (
        ("app_cpu", "app CPU ms/request"),
        ("machine_cpu", "machine CPU ms/request"),
    ):
        if cost := report.get(key):
            table.add_row(label, str(cost["ms_on"]), str(cost["ms_off"]), f"{cost['cost']:.1%}")
    return table


def _run_only(
    run_one: Callable[[BenchOptions, Callable[[str], None]], dict[str, Any]],
    options: BenchOptions,
    *,
    as_json: bool,
    stop: bool,
) -> dict[str, Any] | None:
    """One benchmark alone; its report, or None once printed as JSON."""
    try:
        with progress(not as_json) as step:
            report = run_one(options, step)
    finally:
        if stop:
            controller.down(options.env, lambda _msg: None)
    if as_json:
        emit_json(report)
        return None
    return report


def _streams(options: BenchOptions, *, as_json: bool, stop: bool) -> None:
    from fixiactl.bench import streams

    report = _run_only(streams.run, options, as_json=as_json, stop=stop)
    if report is None:
        return
    console.print(streams.markdown(report))
    for kind, path in report["files"].items():
        console.print(f"{kind}: {path}")


def _ha(options: BenchOptions, runs: int, *, as_json: bool, stop: bool) -> None:
    from fixiactl.bench import ha

    report = _run_only(
        lambda o, step: ha.run(o.env, runs, step), options, as_json=as_json, stop=stop
    )
    if report is None:
        return
    console.print(ha.markdown(report))
    for kind, path in report["files"].items():
        console.print(f"{kind}: {path}")


def _ha_reads(env: str, scale: int, *, as_json: bool, stop: bool) -> None:
    from fixiactl.bench import ha_reads

    try:
        with progress(not as_json) as step:
            report = ha_reads.run(env, scale, step)
    finally:
        if stop:
            controller.down(env, lambda _msg: None)
    if as_json:
        emit_json(report)
        return
    console.print(ha_reads.markdown(report))
    for kind, path in report["files"].items():
        console.print(f"{kind}: {path}")


def _compare_read_mix(options: BenchOptions, *, images: bool, as_json: bool, stop: bool) -> None:
    from fixiactl.bench import images as images_bench
    from fixiactl.bench import overhead

    compare = images_bench.compare if images else overhead.compare
    report = _run_only(compare, options, as_json=as_json, stop=stop)
    if report is None:
        return
    if images:
        title, sides = "Read mix with and without image URLs", ("with", "without")
        console.print(_overhead_table(report, title, sides))
    else:
        console.print(_overhead_table(report))
    console.print(f"json: {report['files']['json']}")


def _aa(
    n: int,
    options: BenchOptions,
    faults: tuple[str, ...],
    steps: str,
    hold_s: float,
    *,
    as_json: bool,
) -> None:
    from fixiactl.bench import aa

    with progress(not as_json) as step:
        report = aa.run(n, step, steps=steps, hold_s=hold_s, faults=faults)
    report["files"] = aa.write(report, options.out_dir)
    report.pop("recording")
    if as_json:
        emit_json(report)
        return
    console.print(Path(report["files"]["markdown"]).read_text())


def _canary(runs: int, options: BenchOptions, *, as_json: bool) -> None:
    from fixiactl.bench import canary

    with progress(not as_json) as step:
        report = canary.run(runs, step, out_dir=options.out_dir)
    if as_json:
        emit_json(report)
        return
    console.print(Path(report["files"]["markdown"]).read_text())
