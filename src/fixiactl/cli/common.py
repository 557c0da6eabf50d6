"""What every command group shares: --json output, progress and readable failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from fixiactl.errors import FixiactlError

console = Console(stderr=True)

EnvOption = typer.Option("--env", "-e", help="Environment name (deploy/environments/NAME.toml)")
JsonOption = typer.Option("--json", help="Machine-readable output on stdout")


@contextmanager
def operator_errors() -> Iterator[None]:
    """FixiactlError becomes one red line and a hint, exit code 1; never a traceback."""
    try:
        yield
    except FixiactlError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        if exc.hint:
            console.print(f"[yellow]hint:[/yellow] {exc.hint}")
        raise typer.Exit(code=1) from exc


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    if not enabled:
        yield lambda _msg: None
        return
    with console.status("working…") as status:

        def step(message: str) -> None:
            console.log(message)
            status.update(message + "…")

        yield step


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))
