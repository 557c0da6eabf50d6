"""`fixia audit`: the audit log from the command line.

Operations tooling records the events that happen outside the app (deploys, flag changes,
secret rotations) with `fixia audit record`; fixiactl shells out to it so it never imports
fixia. Entries go through the same `audit.record` as the app's own.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from fixia.audit import service as audit
from fixia.config import get_settings

audit_app = typer.Typer(help="The security audit log (append-only).", no_args_is_help=True)


def _details(pairs: list[str], details_json: str | None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(details_json) if details_json else {}
    if not isinstance(data, dict):
        raise typer.BadParameter("--details-json must be a JSON object")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--detail expects KEY=VALUE, got {pair!r}")
        data[key] = value
    if len(json.dumps(data)) > audit.MAX_DETAIL_CHARS:
        raise typer.BadParameter(f"details are over {audit.MAX_DETAIL_CHARS} characters")
    return data


async def _insert(**entry: Any) -> dict[str, Any]:
    from fixia.db import create_engine, session_factory, transactional

    engine = create_engine(get_settings())
    try:
        async with transactional(session_factory(engine)) as session:
            row = audit.record(session=session, actor_id=None, **entry)
            await session.flush()
            return {"id": str(row.id), "created_at": row.created_at.isoformat()}
    finally:
        await engine.dispose()


@audit_app.command("record")
def record(
    action: Annotated[
        str, typer.Option(help=f"one of: {', '.join(sorted(audit.EXTERNAL_ACTIONS))}")
    ],
    target_type: Annotated[str, typer.Option(help="e.g. env, flag, secret")],
    target_id: Annotated[str, typer.Option(help="e.g. production, new-checkout, jwt")],
    actor: Annotated[str | None, typer.Option(help="who; default: the OS user")] = None,
    ip: Annotated[str | None, typer.Option(help="where from, when known")] = None,
    detail: Annotated[list[str] | None, typer.Option(help="KEY=VALUE, repeatable")] = None,
    details_json: Annotated[str | None, typer.Option(help="a JSON object of details")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Append one security event that happened outside the app."""
    if action not in audit.EXTERNAL_ACTIONS:
        raise typer.BadParameter(
            f"{action!r} is recorded by the app itself; use one of "
            f"{', '.join(sorted(audit.EXTERNAL_ACTIONS))}",
            param_hint="--action",
        )
    data = _details(detail or [], details_json)
    result = asyncio.run(
        _insert(
            action=action,
            target_type=target_type[:32],
            target_id=target_id,
            actor_name=actor or f"os:{getpass.getuser()}",
            ip=ip,
            recorded_at=datetime.now(UTC).isoformat(),
            **data,
        )
    )
    typer.echo(json.dumps(result) if as_json else result["id"])
