"""Render an overlay with the real `kubectl kustomize` (Kustomize 5 inside kubectl >= 1.27), so
what the validators and tests check is exactly what `kubectl apply -k` would apply."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from fixiactl.errors import FixiactlError

Obj = dict[str, Any]
OVERLAYS = ("staging", "production", "production-blue-green")
HINT = "kubectl >= 1.27 (Kustomize 5) on PATH: run scripts/install-system-deps"


def kubectl() -> str | None:
    return shutil.which("kubectl")


def build(directory: Path) -> list[Obj]:
    """Objects of `kubectl kustomize DIRECTORY`, in its order."""
    tool = kubectl()
    if tool is None:
        raise FixiactlError("kubectl not found", hint=HINT)
    proc = subprocess.run(
        [tool, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise FixiactlError(f"kubectl kustomize {directory} failed: {proc.stderr.strip()[-500:]}")
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def overlays(root: Path) -> dict[str, list[Obj]]:
    return {name: build(root / "deploy" / "k8s" / "overlays" / name) for name in OVERLAYS}
