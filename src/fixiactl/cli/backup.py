"""`fixiactl backup`: pgBackRest on the stack's two encrypted repositories."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fixiactl.backup import proof, service
from fixiactl.backup import schedule as backup_schedule
from fixiactl.cli.common import (
    DryRunOption,
    EnvOption,
    ExitCode,
    JsonOption,
    RequiredEnvOption,
    YesOption,
    confirm,
    console,
    emit_json,
    meter,
    operator_errors,
    progress,
)

app = typer.Typer(
    help="Backups: init, run, list, verify, prove, expire, schedule.", no_args_is_help=True
)


class BackupType(StrEnum):
    FULL = "full"
    DIFF = "diff"
    INCR = "incr"


class ScheduleFormat(StrEnum):
    CRON = "cron"
    SYSTEMD = "systemd"
    K8S = "k8s"


RepoOption = typer.Option("--repo", min=1, max=2, help="Repository: 1 local, 2 other region")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1024
    return f"{n} B"


@app.command()
def init(
    env: Annotated[str, RequiredEnvOption], as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Create the stanza on both repositories and check that WAL reaches them."""
    with operator_errors(), progress(not as_json) as step:
        step("creating the stanza and checking archiving")
        result = service.init(env)
    emit_json(result) if as_json else console.print(f"[green]stanza {result['stanza']} ok[/green]")


@app.command()
def run(
    env: Annotated[str, RequiredEnvOption],
    kind: Annotated[BackupType, typer.Option("--type")] = BackupType.FULL,
    repo: Annotated[int, RepoOption] = 1,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Take a backup into one repository (WAL goes to both continuously)."""
    # Countable: pgBackRest's own percent done, read from its lock file while it runs.
    with operator_errors(), meter(not as_json, f"{kind} backup into repo{repo}") as fed:
        result = service.run(env, kind.value, repo, meter=fed)
    if as_json:
        emit_json(result)
    else:
        b = result["backup"]
        console.print(
            f"[green]{b['label']}[/green] {b['type']} repo{b['repo']} "
            f"{_size(b['repo_size_bytes'])} in {result['elapsed_s']} s"
        )


def _archive_line(archive: dict[str, Any] | None) -> str:
    if archive is None:
        return "[yellow]archive: unknown (cluster down)[/yellow]"
    state = "[red]FAILING[/red]" if archive["failing"] else "[green]ok[/green]"
    return (
        f"archive: {state}  last archived {archive['last_archived_wal'] or '-'}  "
        f"failed {archive['failed_count']} (last {archive['last_failed_wal'] or '-'})"
    )


@app.command("list")
def list_(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Every backup in both repositories and the health of WAL archiving (refreshes metrics)."""
    with operator_errors():
        inv = service.inventory(env)
    if as_json:
        emit_json(inv)
        return
    table = Table(title=f"Backups ({env}, stanza {inv['stanza']}: {inv['status']})")
    for col in (
        "label",
        "repo",
        "type",
        "stopped (UTC)",
        "duration",
        "size",
        "stored",
        "WAL range",
    ):
        table.add_column(col)
    for b in inv["backups"]:
        label = f"[red]{b['label']} (error)[/red]" if b["error"] else b["label"]
        table.add_row(
            label,
            str(b["repo"]),
            b["type"],
            b["stopped"],
            f"{b['duration_s']} s",
            _size(b["size_bytes"]),
            _size(b["repo_size_bytes"]),
            f"{b['wal_start']} … {b['wal_stop']}",
        )
    console.print(table)
    console.print(_archive_line(inv["archive"]))
    if inv["archive"] and inv["archive"]["failing"]:
        raise typer.Exit(code=ExitCode.DEGRADED)


@app.command()
def verify(
    env: Annotated[str, EnvOption] = "dev",
    repo: Annotated[int | None, RepoOption] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Check every file of every backup and WAL segment; exit 1 on any problem."""
    with operator_errors(), progress(not as_json) as step:
        step("verifying the repositories")
        report = service.verify(env, repo)
    if as_json:
        emit_json(report.as_dict())
    elif report.ok:
        console.print("[green]verify: every backup and WAL segment is valid[/green]")
    else:
        console.print("[red]verify found problems:[/red]")
        for p in report.problems:
            console.print(f"  {p}")
    if not report.ok:
        raise typer.Exit(code=ExitCode.FAILURE)


@app.command()
def prove(
    env: Annotated[str, RequiredEnvOption],
    repo: Annotated[int, RepoOption] = 1,
    keep: Annotated[bool, typer.Option(help="Keep the scratch cluster's files")] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Prove the newest backup by restoring it: a restore point marked with the business
    invariants, a scratch restore to it, pg_amcheck, invariants equal; exit 1 otherwise."""
    with operator_errors(), progress(not as_json) as step:
        result = proof.prove(env, repo, step, keep=keep)
    if as_json:
        emit_json(result)
    elif result["success"]:
        console.print(
            f"[green]proven[/green]: repo{repo} restored to {result['restore_point']}, "
            f"{result['tables']} tables equal, pg_amcheck clean"
        )
    else:
        console.print(f"[red]not proven[/red]: tables differ: {result['mismatched']}")
        console.print(f"pg_amcheck: {result['amcheck']['output'] or 'clean'}")
    if not result["success"]:
        raise typer.Exit(code=ExitCode.FAILURE)


@app.command()
def expire(
    env: Annotated[str, RequiredEnvOption],
    repo: Annotated[int | None, RepoOption] = None,
    retention_full: Annotated[
        int | None,
        typer.Option(
            min=1, help="Keep N full backups (count-based), instead of the configured days"
        ),
    ] = None,
    dry_run: Annotated[bool, DryRunOption] = False,
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Apply retention: remove expired sets and their WAL (never the only full backup).
    Asks first (--yes); --dry-run lists what would go (pgBackRest's own dry run)."""
    if not dry_run:
        confirm(f"Remove the expired backups of {env} and their WAL?", yes=yes)
    with operator_errors(), progress(not as_json) as step:
        step("listing what would expire" if dry_run else "expiring old backups")
        result = service.expire(env, repo, retention_full, dry_run=dry_run)
    if as_json:
        emit_json(result)
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {len(result['removed'])} backup(s), {result['kept']} kept")
    for gone in result["removed"] if dry_run else []:
        console.print(f"  repo{gone['repo']} {gone['label']}")


@app.command("restore-point")
def restore_point(
    name: Annotated[str, typer.Argument(help="e.g. before-migration-0005")],
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Create a named restore point (fixiactl restore --to NAME)."""
    with operator_errors():
        result = service.create_restore_point(env, name)
    emit_json(result) if as_json else console.print(f"restore point {name} at {result['lsn']}")


@app.command("schedule")
def schedule_(
    env: Annotated[str, RequiredEnvOption],
    fmt_: Annotated[ScheduleFormat, typer.Option("--format")] = ScheduleFormat.CRON,
    install: Annotated[bool, typer.Option(help="Write the files instead of printing")] = False,
    dest: Annotated[Path | None, typer.Option(help="Directory for --install")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Print (or install) the schedule: weekly full, daily diff, hourly incr, verify, drills."""
    fmt = fmt_.value
    with operator_errors():
        if not install:
            rendered = backup_schedule.render(fmt, env)
            if as_json:
                emit_json({"env": env, "format": fmt, "schedule": rendered})
            else:
                typer.echo(rendered, nl=False)
            return
        written = backup_schedule.install(fmt, env, dest)
        if as_json:
            emit_json({"env": env, "format": fmt, "written": [str(p) for p in written]})
            return
        for path in written:
            console.print(f"wrote {path}")
        if fmt == "systemd":
            console.print(
                f"then: systemctl daemon-reload && systemctl enable --now "
                f"'fixia-*-{env}.timer'  ({datetime.now(UTC):%Y-%m-%d})"
            )
