"""Validate every overlay as `kubectl kustomize` renders it, refusing unknown fields:
- core kinds with kubernetes-validate --strict (the Kubernetes API's own schemas);
- custom resources against strict schemas vendored from their upstream CRDs (Argo Rollouts,
  CloudNativePG, its Barman Cloud Plugin, Gateway API: deploy/k8s/schemas/, made by
  scripts/vendor-crd-schemas), where an unknown field fails instead of being pruned;
- custom resources of the groups the npm kubernetes-models packages cover (Argo Rollouts,
  CloudNativePG, prometheus-operator, External Secrets) also against those validators, which
  accept unknown fields: prometheus-operator and External Secrets objects are checked for
  types only. A custom resource that neither knows fails."""

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
SCHEMAS = Path("deploy/k8s/schemas")
NODE_GROUPS = {"argoproj.io", "monitoring.coreos.com", "external-secrets.io", "postgresql.cnpg.io"}


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


def strict_schemas(root: Path) -> dict[str, dict[str, Any]]:
    """{"group/version Kind": schema} from every vendored file."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((root / SCHEMAS).glob("*.json")):
        found |= json.loads(path.read_text())["schemas"]
    return found


def _key(obj: dict[str, Any]) -> str:
    return f"{obj['apiVersion']} {obj['kind']}"


def strict_problems(root: Path, objs: list[dict[str, Any]], overlay: str) -> list[str]:
    # Imported here: jsonschema is a dev dependency, and the CLI imports this module.
    import jsonschema  # type: ignore[import-untyped]

    schemas = strict_schemas(root)
    problems = []
    for obj in objs:
        where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
        schema = schemas.get(_key(obj))
        if schema is None:
            if _group(obj) not in NODE_GROUPS:
                problems.append(f"{where}: no schema for {_key(obj)}")
            continue
        for err in jsonschema.Draft202012Validator(schema).iter_errors(obj):
            path = "/".join(map(str, err.absolute_path))
            problems.append(f"{where} {path}: {err.message}")
    return problems


def _group(obj: dict[str, Any]) -> str:
    return str(obj["apiVersion"]).split("/")[0] if "/" in obj["apiVersion"] else ""


def validate_overlays(ctx: Context) -> tuple[list[str], int]:
    problems: list[str] = []
    count = 0
    for overlay, objs in overlays(ctx.root).items():
        count += len(objs)
        core = [o for o in objs if _is_core(o)]
        custom = [o for o in objs if o not in core]
        problems += core_problems(ctx, core, overlay)
        problems += crd_problems(ctx, [o for o in custom if _group(o) in NODE_GROUPS], overlay)
        problems += strict_problems(ctx.root, custom, overlay)
    return problems, count
