"""`fixiactl secrets`: rotate a stack's secrets."""

from __future__ import annotations

from typing import Annotated

import typer

from fixiactl.cli.common import EnvOption, JsonOption, console, emit_json, operator_errors, progress
from fixiactl.secrets import rotate
from fixiactl.stack.config import load_env

app = typer.Typer(help="Rotate secrets (JWT signing keys).", no_args_is_help=True)


@app.command("rotate-jwt")
def rotate_jwt(
    env: Annotated[str, EnvOption] = "dev",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """A new JWT key signs from now on; the previous one keeps verifying until its tokens
    expire (access TTL + 60 s). Running slots restart one at a time to pick it up."""
    with operator_errors(), progress(not as_json) as step:
        step(f"rotating the JWT signing key of {env}")
        result = rotate.rotate_jwt(load_env(env))
    if as_json:
        emit_json(result)
        return
    console.print(f"new signing key [bold]{result['new_kid']}[/bold]; keys: {result['kids']}")
    for kid, when in result["retire_at"].items():
        console.print(f"  {kid} verifies until {when}")
    if not result["restarted"]:
        console.print("[yellow]no slot running: the new key applies at the next start[/yellow]")


@app.command("prune-jwt")
def prune_jwt(
    env: Annotated[str, EnvOption] = "dev",
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Drop retired JWT keys whose tokens have all expired (rotate-jwt also does this)."""
    with operator_errors():
        result = rotate.prune_jwt(load_env(env))
    if as_json:
        emit_json(result)
    else:
        console.print(f"dropped {result['dropped'] or 'nothing'}; keys: {result['kids']}")
