"""`fixiactl restore`: point-in-time recovery into a new data directory (never the live one
unless --in-place --force and a confirmation)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from fixiactl.backup import ha_restore
from fixiactl.backup import restore as restore_ops
from fixiactl.backup import settings as backup_settings
from fixiactl.backup.driver import RestoreTarget
from fixiactl.cli.common import (
    JsonOption,
    RequiredEnvOption,
    confirm,
    console,
    emit_json,
    meter,
    operator_errors,
    progress,
)
from fixiactl.errors import FixiactlError


def restore(
    env: Annotated[str, RequiredEnvOption],
    to: Annotated[
        str, typer.Option("--to", help="latest | ISO time | LSN (0/3000028) | restore point")
    ] = "latest",
    from_repo: Annotated[int, typer.Option("--from-repo", min=1, max=2)] = 1,
    target_dir: Annotated[
        Path | None, typer.Option(help="New data directory (must be empty)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port for the restored cluster (default: free)")
    ] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Replace the LIVE cluster")] = False,
    force: Annotated[bool, typer.Option("--force", help="Required with --in-place")] = False,
    flush: Annotated[
        bool,
        typer.Option(help="First archive the live cluster's current WAL (skip when it is gone)"),
    ] = True,
    yes: Annotated[bool, typer.Option("--yes", help="Skip the confirmation (automation)")] = False,
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Restore the database to a point in time and start it on its own port."""
    with operator_errors():
        target = restore_ops.parse_target(to)
        if in_place:
            result = _in_place(env, target, from_repo, force=force, yes=yes, as_json=as_json)
        else:
            # Countable: a bar of the bytes restored; the steps are log lines above it.
            with meter(not as_json, f"restoring from repo{from_repo}") as fed:
                result = restore_ops.restore_copy(
                    env,
                    target,
                    from_repo,
                    target_dir,
                    port,
                    _log(not as_json),
                    flush=flush,
                    meter=fed,
                )
    if as_json:
        emit_json(result)
        return
    console.print(f"[green]restored {result['target']}[/green] into {result['data_dir']}")
    if "port" in result:
        console.print(
            f"running on 127.0.0.1:{result['port']} (socket {result['socket_dir']}); "
            f"stop with: pg_ctl -D {result['data_dir']} stop"
        )


def _log(enabled: bool) -> Callable[[str], None]:
    return console.log if enabled else (lambda _msg: None)


def _in_place(
    env: str, target: RestoreTarget, repo: int, *, force: bool, yes: bool, as_json: bool
) -> dict[str, Any]:
    if not force:
        raise FixiactlError(
            "--in-place replaces the live cluster",
            hint="add --force if you mean it; otherwise restore into a new --target-dir",
        )
    loss = restore_ops.what_would_be_lost(env, target)
    console.print("[red bold]In-place restore of the LIVE cluster[/red bold]")
    for key, value in loss.items():
        console.print(f"  {key}: {value}")
    confirm("Stop PostgreSQL and replace its data?", yes=yes)
    # On HA the restore goes through Patroni (fixiactl.backup.ha_restore).
    replace = (
        ha_restore.restore_in_place
        if backup_settings.load(env).ha_members
        else restore_ops.restore_in_place
    )
    with progress(not as_json) as step:
        return replace(env, target, repo, step)
