"""`fixiactl release build|list`: immutable releases under releases/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fixiactl.cli.common import JsonOption, console, emit_json, operator_errors, progress
from fixiactl.deploy import releases
from fixiactl.stack.config import ROOT

app = typer.Typer(help="Build and list immutable releases.", no_args_is_help=True)


@app.command()
def build(
    fault: Annotated[
        list[str] | None,
        typer.Option(help="Bake a fault in (drills): error_rate=0.2, extra_latency_ms=150…"),
    ] = None,
    source: Annotated[Path, typer.Option(help="Git checkout to build")] = ROOT,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Wheel + locked dependencies into releases/<version>-<sha>/ with its own venv."""
    with operator_errors(), progress(not as_json) as step:
        release = releases.build(source.resolve(), releases.parse_faults(fault or []), step)
    if as_json:
        emit_json(release.as_dict())
    else:
        console.print(f"built release [bold]{release.id}[/bold] in {release.path}")


@app.command("list")
def list_(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Every installed release, oldest first."""
    found = releases.list_releases()
    if as_json:
        emit_json([r.as_dict() for r in found])
        return
    table = Table(title="Releases")
    for column in ("release", "git sha", "commit time", "built", "faults"):
        table.add_column(column)
    for r in found:
        faults = ", ".join(f"{k}={v}" for k, v in r.faults.items()) or "-"
        table.add_row(r.id, r.git_sha[:12], r.commit_time, r.built_at[:19], faults)
    console.print(table)
