"""`fixiactl secrets`: rotate a stack's secrets."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from fixiactl.cli.common import (
    JsonOption,
    RequiredEnvOption,
    console,
    emit_json,
    operator_errors,
    progress,
)
from fixiactl.secrets import database, rotate
from fixiactl.stack.config import load_env

app = typer.Typer(
    help="Rotate secrets (JWT signing keys, the database password).", no_args_is_help=True
)


@app.command("rotate-jwt")
def rotate_jwt(
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """A new JWT key signs from now on; the previous one keeps verifying until its tokens
    expire (access TTL + 60 s). The app slots roll onto it without an outage: with one
    serving slot the idle one starts and takes over; with two, each restarts drained."""
    with operator_errors(), progress(not as_json) as step:
        step(f"rotating the JWT signing key of {env}")
        result = rotate.rotate_jwt(load_env(env), say=step)
    if as_json:
        emit_json(result)
        return
    console.print(f"new signing key [bold]{result['new_kid']}[/bold]; keys: {result['kids']}")
    for kid, when in result["retire_at"].items():
        console.print(f"  {kid} verifies until {when}")
    _report_roll(result)


def _report_roll(result: dict[str, Any]) -> None:
    if not result["restarted"]:
        console.print("[yellow]no slot running: the change applies at the next start[/yellow]")
        return
    console.print(f"restarted {', '.join(result['restarted'])}; live slot: {result['live']}")
    if not result["drained_clean"]:
        console.print("[yellow]a slot still had sessions when the drain timed out[/yellow]")
    if not result["audited"] and result.get("secret", "jwt") is not None:
        console.print("[yellow]the audit entry could not be recorded (fixia audit record)[/yellow]")


@app.command("prune-jwt")
def prune_jwt(
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Drop retired JWT keys whose tokens have all expired (rotate-jwt also does this)."""
    with operator_errors(), progress(not as_json) as step:
        result = rotate.prune_jwt(load_env(env), say=step)
    if as_json:
        emit_json(result)
    else:
        console.print(f"dropped {result['dropped'] or 'nothing'}; keys: {result['kids']}")


@app.command("rotate-db-password")
def rotate_db_password(
    env: Annotated[str, RequiredEnvOption],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """A new password for the app's database role: PostgreSQL, then PgBouncer's auth file
    (reloaded, clients stay connected), then the app slots roll onto it without an outage."""
    with operator_errors(), progress(not as_json) as step:
        step(f"rotating the database password of {env}")
        result = database.rotate_db_password(load_env(env), say=step)
    if as_json:
        emit_json(result)
        return
    console.print("new database password in place (PostgreSQL, PgBouncer, app slots)")
    _report_roll(result)


@app.command("roll")
def roll(
    env: Annotated[str, RequiredEnvOption],
    secret: Annotated[
        str | None,
        typer.Option(help="Audit it as this secret's rotation, e.g. mercadopago-token"),
    ] = None,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Bring a secret changed where it lives (stack.json, app_env, a FIXIA_SECRET_*_FILE) into
    the app slots without an outage: re-render their files and roll them."""
    with operator_errors(), progress(not as_json) as step:
        step(f"rolling the app slots of {env} onto their current secrets")
        result = rotate.roll_changed(load_env(env), secret, say=step)
    if as_json:
        emit_json(result)
        return
    _report_roll(result)
