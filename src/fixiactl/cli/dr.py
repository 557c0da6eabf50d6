"""`fixiactl dr`: disaster-recovery drills that measure RPO and RTO, and their benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fixiactl.backup import drill as drill_ops
from fixiactl.cli.common import (
    DurationOption,
    EnvOption,
    ExitCode,
    JsonOption,
    RequiredEnvOption,
    YesOption,
    confirm,
    console,
    emit_json,
    operator_errors,
    progress,
)

app = typer.Typer(
    help="Disaster-recovery drills (RPO/RTO measured) and their benchmark.", no_args_is_help=True
)


@app.command()
def drill(
    env: Annotated[str, RequiredEnvOption],
    from_repo: Annotated[int, typer.Option("--from-repo", min=1, max=2)] = 2,
    heartbeat: Annotated[
        float,
        DurationOption("How long the heartbeat writes before the disaster (> archive_timeout)"),
    ] = 75,
    interval: Annotated[float, DurationOption("Time between heartbeats, e.g. 1s, 500ms")] = 1.0,
    out_dir: Annotated[Path | None, typer.Option(help="Default: var/drills")] = None,
    keep: Annotated[bool, typer.Option(help="Keep the scratch cluster's files")] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Lose the primary at T, restore the latest state, start the app on it, check, measure."""
    with operator_errors(), progress(not as_json) as step:
        result = drill_ops.drill(
            env, from_repo, heartbeat, interval, step, out_dir=out_dir, keep=keep
        )
    if as_json:
        emit_json(result)
    else:
        colour = "green" if result["success"] else "red"
        console.print(
            f"[{colour}]drill {result['id']}: "
            f"{'success' if result['success'] else 'FAILED'}[/{colour}]  "
            f"RPO {result['rpo_s']} s  RTO {result['rto_s']} s"
        )
        for name, ok in result["checks"].items():
            console.print(f"  {'[green]✓[/green]' if ok else '[red]✗[/red]'} {name}")
        console.print(f"report: {result['report']['markdown']}")
    if not result["success"]:
        raise typer.Exit(code=ExitCode.FAILURE)


@app.command()
def crash(
    env: Annotated[str, RequiredEnvOption],
    from_repo: Annotated[int, typer.Option("--from-repo", min=1, max=2)] = 1,
    write_seconds: Annotated[
        float, DurationOption("How long the writer commits before the crash, e.g. 10s")
    ] = 10,
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Crash the primary under writes (SIGKILL + its data directory lost), recover in place
    from the repository plus the streamed WAL, count the acknowledged commits lost.
    Destroys the live data directory: for drills on a test or staging stack."""
    from fixiactl.backup.crash import crash_drill

    confirm(f"Crash {env}'s primary and destroy its data directory?", yes=yes)

    with operator_errors(), progress(not as_json) as step:
        result = crash_drill(env, from_repo, write_seconds, step)
    if as_json:
        emit_json(result)
    else:
        console.print(
            f"{result['mode']} stream: lost {result['lost']} of {result['acknowledged']} "
            f"acknowledged commits, RPO {result['rpo_s']} s, RTO {result['rto_s']} s"
        )
    if not result["app_ready"]:
        raise typer.Exit(code=ExitCode.FAILURE)


@app.command()
def bench(
    env: Annotated[str, EnvOption] = "drbench",
    size_mb: Annotated[
        int, typer.Option(min=16, max=65536, help="Database size to restore")
    ] = 1024,
    from_repo: Annotated[int, typer.Option("--from-repo", min=1, max=2)] = 1,
    write_rate: Annotated[int, typer.Option(min=1, max=2000, help="pgbench tx/s")] = 50,
    crashes: Annotated[
        int,
        typer.Option(
            min=0,
            max=50,
            help="Instead of the restore drill: N crash drills recovered in place (RPO of "
            "the streamed WAL, lost commits counted; the env's wal_stream mode)",
        ),
    ] = 0,
    out_dir: Annotated[Path | None, typer.Option(help="Default: var/bench")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """RTO for a SIZE database incl. app readiness, RPO under continuous writes."""
    from fixiactl.backup.bench import run_bench, run_crash_bench

    with operator_errors(), progress(not as_json) as step:
        if crashes:
            report = run_crash_bench(env, size_mb, from_repo, crashes, write_rate, step, out_dir)
        else:
            report = run_bench(env, size_mb, from_repo, write_rate, step, out_dir)
    if as_json:
        emit_json(report)
    elif crashes:
        console.print(
            f"{report['drills']} crash drills ({report['mode']}): RPO p50/p95/max "
            f"{report['rpo_s']['p50']}/{report['rpo_s']['p95']}/{report['rpo_s']['max']} s, "
            f"RTO p50/p95 {report['rto_s']['p50']}/{report['rto_s']['p95']} s, "
            f"lost {report['lost_total']}; {report['files']['markdown']}"
        )
    else:
        console.print(
            f"RTO {report['rto_s']} s (goal 120), RPO {report['rpo_s']} s (goal 60); "
            f"{report['files']['markdown']}"
        )
