"""`fixiactl flags list|set|kill|history`: feature flags with an audit trail."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from fixiactl import flags as flag_store
from fixiactl.cli.common import (
    EnvOption,
    JsonOption,
    RequiredEnvOption,
    console,
    emit_json,
    operator_errors,
)

app = typer.Typer(help="Feature flags (flagd format, evaluated in the app).", no_args_is_help=True)
ReasonOption = typer.Option("--reason", help="Why (kept in the audit trail)")


class FlagState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


@app.command("list")
def list_(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Every flag with its state, default and targeting."""
    with operator_errors():
        data = flag_store.load(env)["flags"]
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"Flags ({env})")
    for column in ("flag", "state", "default", "targeting"):
        table.add_column(column)
    for name, flag in sorted(data.items()):
        targeting = json.dumps(flag.get("targeting", {}))
        table.add_row(name, flag["state"], str(flag.get("defaultVariant")), targeting[:80])
    console.print(table)


@app.command("set")
def set_(
    name: str,
    reason: Annotated[str, ReasonOption],
    env: Annotated[str, RequiredEnvOption],
    state: Annotated[FlagState | None, typer.Option()] = None,
    default_variant: Annotated[
        str | None, typer.Option(help="Variant when no rule matches")
    ] = None,
    rollout: Annotated[int | None, typer.Option(help="Percent in the fractional rollout")] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Change a flag; the app picks it up within a second, without a restart."""
    with operator_errors():
        record = flag_store.change(
            env,
            name,
            reason=reason,
            state=state and state.value,
            default_variant=default_variant,
            rollout=rollout,
        )
    if as_json:
        emit_json(record)
    else:
        console.print(f"{name}: {json.dumps(record['after'])[:200]}")


@app.command()
def kill(
    name: str,
    reason: Annotated[str, ReasonOption],
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Kill switch: DISABLED makes every evaluation return the code's default."""
    with operator_errors():
        flag_store.change(env, name, reason=reason, state="DISABLED")
    if as_json:
        emit_json({"env": env, "flag": name, "state": "DISABLED"})
        return
    console.print(f"{name} disabled")


@app.command()
def history(
    name: Annotated[str | None, typer.Argument()] = None,
    env: Annotated[str, EnvOption] = "dev",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """The audit trail: who changed what, when and why."""
    records = flag_store.history(env, name)
    if as_json:
        emit_json(records)
        return
    table = Table(title=f"Flag changes ({env})")
    for column in ("time", "user", "flag", "reason", "after"):
        table.add_column(column)
    for r in records:
        when = dt.datetime.fromtimestamp(r["ts"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, r["user"], r["flag"], r["reason"], json.dumps(r["after"])[:60])
    console.print(table)
