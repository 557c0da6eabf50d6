"""What every command group shares (docs/operations/cli.md): --json output, a required
--env where a running environment changes, confirmations, one duration format, one exit-code
table, progress and readable failures."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fixia.exitcodes import ExitCode as ExitCode  # re-exported: the one table
from fixiactl.errors import FixiactlError

console = Console(stderr=True)

# Commands that only read may default to dev; those that change a running environment take
# RequiredEnvOption: no default, so a forgotten --env is a usage error, never dev by accident.
EnvOption = typer.Option("--env", "-e", help="Environment name (deploy/environments/NAME.toml)")
RequiredEnvOption = typer.Option(
    "--env", "-e", help="Environment to change (deploy/environments/NAME.toml); required"
)
JsonOption = typer.Option("--json", help="Machine-readable output on stdout")
YesOption = typer.Option("--yes", help="Confirm up front (automation; no prompt)")
DryRunOption = typer.Option("--dry-run", help="Say what would be done; change nothing")

# The shared stages of the delivery pipeline: stopping or tearing one down needs a --yes.
PROTECTED_ENVS = frozenset({"staging", "pre-production", "production"})

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: str | float) -> float:
    """The one duration format: `500ms`, `30s`, `5m`, `1h30m`, `7d` (parts largest first);
    a bare number is seconds. Returns seconds."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _PART.findall(text)
    rebuilt = "".join(n + u for n, u in parts)
    order = [list(_UNITS).index(u) for _, u in parts]
    if not parts or rebuilt != text or order != sorted(set(order), reverse=True):
        raise typer.BadParameter(f"cannot read duration {value!r}: use e.g. 30s, 5m, 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def DurationOption(help: str, *names: str) -> Any:
    """An option taking a duration in the one format (parse_duration), given in seconds."""
    return typer.Option(*names, parser=parse_duration, metavar="DURATION", help=help)


def refuse(message: str, hint: str) -> typer.Exit:
    console.print(f"[red]refused:[/red] {message}")
    console.print(f"[yellow]hint:[/yellow] {hint}")
    return typer.Exit(code=ExitCode.REFUSED)


def interactive() -> bool:
    """Whether someone can answer a prompt (tests replace this to answer one)."""
    return sys.stdin.isatty()


def confirm(question: str, *, yes: bool) -> None:
    """Ask before a destructive step. --yes answers up front; without it and without a
    terminal to ask on (CI, a pipe, --json automation) the command refuses: exit 3."""
    if yes:
        return
    if not interactive():
        raise refuse(f"{question} (no terminal to confirm on)", "confirm with --yes")
    if not typer.confirm(question, default=False):
        raise refuse("not confirmed: nothing was changed", "answer y, or pass --yes")


@contextmanager
def operator_errors() -> Iterator[None]:
    """FixiactlError becomes one red line and a hint, exit code 1; never a traceback."""
    try:
        yield
    except FixiactlError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        if exc.hint:
            console.print(f"[yellow]hint:[/yellow] {exc.hint}")
        raise typer.Exit(code=ExitCode.FAILURE) from exc


@contextmanager
def meter(enabled: bool, description: str) -> Iterator[Callable[[float], None]]:
    """Countable work (bytes of a backup or a restore): a rich progress bar fed fractions."""
    if not enabled:
        yield lambda _fraction: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=1.0)
        yield lambda fraction: bar.update(task, completed=fraction)


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """Steps of work whose count is not known up front: a spinner and a log line each."""
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
