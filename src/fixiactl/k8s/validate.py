"""Validate every overlay as `kubectl kustomize` renders it: core kinds with
kubernetes-validate (strict), custom resources (Argo Rollouts, CloudNativePG, prometheus-operator,
External Secrets) against validators generated from their upstream API schemas (npm
kubernetes-models). Those accept unknown fields, as the API server's pruning would; CloudNativePG
objects also pass the strict schema in deploy/k8s/schemas/, which refuses a misspelt field that
would silently vanish."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from fixiactl.gates.model import Context
from fixiactl.gates.tools import uvx
from fixiactl.k8s.render import overlays

K8S_VERSION = "1.33.0"
CRD_TOOL = Path("tools/k8s-crd-validate")
CNPG_GROUP = "postgresql.cnpg.io"


def _is_core(obj: dict[str, Any]) -> bool:
    group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
    return (
        group == ""
        or group.endswith(".k8s.io")
        or group in {"apps", "autoscaling", "policy", "batch"}
    )


def write_rendered(ctx: Context, objs: list[dict[str, Any]], overlay: str) -> list[Path]:
    """One file per object under var/gates/k8s/OVERLAY (checkov scans these too)."""
    out_dir = ctx.work / "k8s" / overlay
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    files = []
    for obj in objs:
        path = out_dir / f"{obj['kind']}-{obj['metadata']['name']}.yaml".lower()
        path.write_text(yaml.safe_dump(obj, sort_keys=False))
        files.append(path)
    return files


def render_core(ctx: Context) -> Path:
    for overlay, objs in overlays(ctx.root).items():
        write_rendered(ctx, [o for o in objs if _is_core(o)], overlay)
    return ctx.work / "k8s"


def core_problems(ctx: Context, objs: list[dict[str, Any]], overlay: str) -> list[str]:
    files = write_rendered(ctx, objs, overlay)
    code, out = ctx.run(
        uvx("kubernetes-validate", "--strict", "--quiet", "-k", K8S_VERSION, *files)
    )
    return [] if code == 0 else [f"{overlay}: {line}" for line in out.splitlines() if line.strip()]


def crd_problems(ctx: Context, objs: list[dict[str, Any]], overlay: str) -> list[str]:
    tool = ctx.root / CRD_TOOL
    # Parallel test workers may get here together: one installs, the others wait.
    with open(tool / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (tool / "node_modules" / ".package-lock.json").exists():
            cmd = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
            code, out = ctx.run(cmd, cwd=tool)
            if code != 0:
                return [f"npm ci in {CRD_TOOL} failed: {out[-300:]}"]
    proc = subprocess.run(
        ["node", "validate.mjs"],
        cwd=tool,
        input=json.dumps(objs),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode == 0:
        return []
    return [f"{overlay}: {line}" for line in (proc.stdout + proc.stderr).splitlines() if line]


def cnpg_problems(root: Path, objs: list[dict[str, Any]], overlay: str) -> list[str]:
    # Imported here: jsonschema is a dev dependency, and the CLI imports this module.
    import jsonschema  # type: ignore[import-untyped]

    schemas = json.loads((root / "deploy" / "k8s" / "schemas" / "cnpg.schema.json").read_text())
    problems = []
    for obj in objs:
        schema = schemas.get(obj["kind"])
        if schema is None:
            problems.append(f"{overlay}: no schema for {obj['kind']}")
            continue
        for err in jsonschema.Draft202012Validator(schema).iter_errors(obj):
            where = "/".join(map(str, err.absolute_path))
            problems.append(
                f"{overlay}: {obj['kind']}/{obj['metadata']['name']} {where}: {err.message}"
            )
    return problems


def validate_overlays(ctx: Context) -> tuple[list[str], int]:
    problems: list[str] = []
    count = 0
    for overlay, objs in overlays(ctx.root).items():
        count += len(objs)
        core = [o for o in objs if _is_core(o)]
        cnpg = [o for o in objs if o["apiVersion"].startswith(CNPG_GROUP)]
        custom = [o for o in objs if o not in core]
        problems += core_problems(ctx, core, overlay)
        problems += crd_problems(ctx, custom, overlay)
        problems += cnpg_problems(ctx.root, cnpg, overlay)
    return problems, count
