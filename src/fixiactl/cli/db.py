"""`fixiactl db status|switchover|failover`: the HA stack's PostgreSQL cluster (Patroni)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from fixiactl.cli.common import (
    EnvOption,
    JsonOption,
    RequiredEnvOption,
    YesOption,
    confirm,
    console,
    emit_json,
    operator_errors,
)
from fixiactl.stack import patroni

app = typer.Typer(help="The HA stack's PostgreSQL members under Patroni (stack up --ha).")


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="PostgreSQL members (Patroni)")
    for column in ("member", "role", "state", "timeline", "lag (bytes)", "host"):
        table.add_column(column)
    for r in rows:
        style = "bold green" if r["role"] == "leader" else ""
        lag = "" if r["lag_bytes"] is None else str(r["lag_bytes"])
        table.add_row(
            r["member"], r["role"], r["state"], str(r["timeline"]), lag, r["host"], style=style
        )
    return table


@app.command()
def status(
    env: Annotated[str, EnvOption] = "dev", as_json: Annotated[bool, JsonOption] = False
) -> None:
    """Each member's role (leader, sync standby, replica), state, timeline and lag."""
    with operator_errors():
        rows = patroni.members(env)
    if as_json:
        emit_json(rows)
    else:
        console.print(_table(rows))


def _change_leader(question: str, change: Any, *, yes: bool, as_json: bool) -> None:
    confirm(question, yes=yes)
    with operator_errors():
        result = change()
    if as_json:
        emit_json(result)
    else:
        console.print(f"leader: {result['from']} → [bold green]{result['to']}[/bold green]")


@app.command()
def switchover(
    env: Annotated[str, RequiredEnvOption],
    candidate: Annotated[
        str | None, typer.Option(help="Member to promote (default: Patroni picks the sync one)")
    ] = None,
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Planned: the leader hands over to an in-sync standby and becomes a replica."""
    _change_leader(
        f"Switch the {env} database leader over to {candidate or 'the sync standby'}?",
        lambda: patroni.switchover(env, candidate),
        yes=yes,
        as_json=as_json,
    )


@app.command()
def failover(
    candidate: Annotated[str, typer.Option(help="Member to promote, e.g. pg1")],
    env: Annotated[str, RequiredEnvOption],
    yes: Annotated[bool, YesOption] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Unplanned: promote a member now, whether the leader is healthy or not."""
    _change_leader(
        f"Promote {candidate} in {env} now (a failover, not a clean switchover)?",
        lambda: patroni.failover(env, candidate),
        yes=yes,
        as_json=as_json,
    )
