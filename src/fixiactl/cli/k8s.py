"""`fixiactl k8s`: generate the Kubernetes artifacts that derive from one source, render an
overlay, validate everything."""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from fixiactl.cli.common import ExitCode, JsonOption, console, emit_json, operator_errors
from fixiactl.errors import FixiactlError
from fixiactl.gates.model import Context
from fixiactl.k8s import generate as gen
from fixiactl.k8s.render import build
from fixiactl.stack.config import ROOT

app = typer.Typer(help="Kubernetes manifests (deploy/k8s).", no_args_is_help=True)


@app.command("generate")
def generate_cmd(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Write AnalysisTemplates (from deploy/slo) and PrometheusRules (from the rule files)."""
    with operator_errors():
        written = [str(p) for p in gen.write(ROOT)]
    if as_json:
        emit_json({"written": written})
    else:
        for path in written:
            console.print(f"wrote {path}")


@app.command("render")
def render_cmd(overlay: str, as_json: Annotated[bool, JsonOption] = False) -> None:
    """Print an overlay as `kubectl kustomize` renders it (YAML, or a JSON list of objects)."""
    with operator_errors():
        objs = build(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    if as_json:
        emit_json(objs)
        return
    typer.echo(yaml.safe_dump_all(objs, sort_keys=False))


@app.command("migrate")
def migrate_cmd(
    phase: Annotated[str, typer.Argument(help="expand (before the rollout) or contract (after)")],
    as_json: Annotated[bool, JsonOption] = False,
) -> None:
    """Run a release's expand or contract migrations (the migration Jobs' command)."""
    from fixiactl.k8s import migrate

    with operator_errors():
        if phase not in ("expand", "contract"):
            raise FixiactlError(f"unknown phase {phase!r}", hint="expand or contract")
        if not as_json:
            console.print(f"{phase}: planning from the database's revisions…")
        done = migrate.migrate(
            "expand" if phase == "expand" else "contract", migrate.versions_dir()
        )
    if as_json:
        emit_json(done)
    else:
        console.print(f"{phase}: {', '.join(done['ran']) or 'nothing pending'}")


@app.command("validate")
def validate_cmd(as_json: Annotated[bool, JsonOption] = False) -> None:
    """Validate every object of every overlay; exit 1 on any problem."""
    # Imported here: validation needs the dev group (jsonschema); the CLI starts without it.
    from fixiactl.gates.kubernetes import validate_overlays

    with operator_errors():
        problems, count = validate_overlays(Context())
    if as_json:
        emit_json({"objects": count, "problems": problems})
    else:
        for problem in problems:
            console.print(f"[red]{problem}[/red]", markup=True)
        console.print(f"{count} objects, {len(problems)} problems")
    if problems:
        raise typer.Exit(code=ExitCode.FAILURE)
