"""`fixiactl`: the operations toolkit.

It never imports the service: it talks to it through /healthz, /readyz, /metrics and its CLI.
"""

from __future__ import annotations

import json
from importlib.metadata import version as dist_version
from typing import Annotated

import typer

from fixiactl.cli import (
    backup,
    bench,
    db,
    deploy,
    dr,
    flags,
    gates,
    k8s,
    release,
    secrets,
    slo,
    stack,
)
from fixiactl.cli.restore import restore

app = typer.Typer(
    help="Operate Fixia: stack, deploys, backups, drills.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(stack.app, name="stack")
app.add_typer(bench.app, name="bench")
app.add_typer(slo.app, name="slo")
app.add_typer(backup.app, name="backup")
app.add_typer(dr.app, name="dr")
app.command("restore")(restore)
app.add_typer(gates.app, name="gates")
app.add_typer(k8s.app, name="k8s")
app.add_typer(secrets.app, name="secrets")
app.add_typer(release.app, name="release")
app.add_typer(flags.app, name="flags")
app.add_typer(deploy.app, name="deploy")
app.add_typer(db.app, name="db")
app.command("rollback")(deploy.rollback)
app.command("promote")(deploy.promote)
app.command("dora")(deploy.dora)


@app.command()
def version(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the toolkit version."""
    v = dist_version("fixia")
    typer.echo(json.dumps({"fixiactl": v}) if as_json else f"fixiactl {v}")
