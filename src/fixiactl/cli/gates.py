"""`fixiactl gates`: run the quality gates exactly as CI runs them, then a summary table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fixiactl.cli.common import ExitCode, JsonOption, console, emit_json, operator_errors
from fixiactl.errors import FixiactlError
from fixiactl.gates.data import copy_baseline
from fixiactl.gates.model import Context, Gate, Speed, Status, run_gate
from fixiactl.gates.registry import GATES

app = typer.Typer(help="Quality gates (make gates).", invoke_without_command=True)
_STYLE = {Status.PASSED: "green", Status.FAILED: "red", Status.SKIPPED: "yellow"}


def _select(only: list[str], fast: bool) -> list[Gate]:
    names = {g.name for g in GATES}
    unknown = sorted(set(only) - names)
    if unknown:
        raise FixiactlError(
            f"unknown gate(s): {', '.join(unknown)}", hint=f"one of: {sorted(names)}"
        )
    chosen = [g for g in GATES if not only or g.name in only]
    return [g for g in chosen if not fast or g.speed is Speed.FAST]


@app.callback()
def gates(
    only: Annotated[list[str], typer.Option("--only", help="Run just this gate (repeatable)")] = [],  # noqa: B006
    fast: Annotated[bool, typer.Option("--fast", help="Only the fast gates")] = False,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Store this run's benchmark means")
    ] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Run every gate (or a subset); exit 1 when any gate fails. Skips are listed, not hidden."""
    with operator_errors():
        ctx = Context()
        ctx.work.mkdir(parents=True, exist_ok=True)
        rows = []
        for gate in _select(only, fast):
            if not as_json:
                console.log(f"[bold]{gate.name}[/bold] ({gate.about})…")
            result = run_gate(gate, ctx)
            rows.append((gate, result))
            if result.status is Status.FAILED and not as_json:
                console.print(result.output[-3000:] or result.detail, markup=False)
        if update_baseline:
            console.log(f"baseline written to {copy_baseline(ctx)}")
    failed = [g.name for g, r in rows if r.status is Status.FAILED]
    if as_json:
        emit_json(
            {
                "passed": not failed,
                "gates": [
                    {
                        "name": g.name,
                        "group": g.group,
                        "speed": g.speed.value,
                        "status": r.status.value,
                        "detail": r.detail,
                        "seconds": r.seconds,
                    }
                    for g, r in rows
                ],
            }
        )
    else:
        table = Table(title="Quality gates")
        for column in ("gate", "group", "speed", "status", "seconds", "detail"):
            table.add_column(column)
        for g, r in rows:
            style = _STYLE[r.status]
            table.add_row(
                g.name,
                g.group,
                g.speed,
                f"[{style}]{r.status}[/{style}]",
                f"{r.seconds:.1f}",
                r.detail,
            )
        console.print(table)
    if failed:
        raise typer.Exit(code=ExitCode.FAILURE)
