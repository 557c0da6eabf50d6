"""Immutable releases: a wheel plus locked dependencies installed in their own venv.

A release directory is `releases/<version>-<sha8>[-f<faulthash>]/` with `venv/`, `dist/`,
`requirements.lock`, `release.env` (what the slot adds to its environment) and `release.json`.
It is built in a temporary sibling directory and renamed into place, so a half-built release
never exists under its final name; an existing name is never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fixiactl.errors import FixiactlError
from fixiactl.stack.config import ROOT

FAULT_KEYS = {"error_rate", "extra_latency_ms", "fail_readiness", "skip_first"}


def releases_dir() -> Path:
    return Path(os.environ.get("FIXIACTL_RELEASES_DIR", ROOT / "releases"))


@dataclass
class Release:
    id: str
    version: str
    git_sha: str
    commit_time: str
    built_at: str
    path: str
    migration_heads: list[str] = field(default_factory=list)
    faults: dict[str, str] = field(default_factory=dict)
    # Only the checkout's own venv (release "dev", what `stack up` starts) lives elsewhere.
    venv_dir: str = ""

    @property
    def venv(self) -> Path:
        return Path(self.venv_dir) if self.venv_dir else Path(self.path) / "venv"

    def env(self) -> dict[str, str]:
        env = {"FIXIA_RELEASE": self.id, "FIXIA_GIT_SHA": self.git_sha}
        env |= {f"FIXIA_FAULTS__{k.upper()}": v for k, v in self.faults.items()}
        return env

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_faults(specs: list[str]) -> dict[str, str]:
    faults: dict[str, str] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or key not in FAULT_KEYS:
            raise FixiactlError(
                f"cannot read fault {spec!r}",
                hint=f"use KEY=VALUE with KEY one of {', '.join(sorted(FAULT_KEYS))}",
            )
        faults[key] = value
    return faults


def _git(source: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(source), *args], capture_output=True, text=True, check=False, timeout=30
    )
    if result.returncode != 0:
        raise FixiactlError(
            f"git {' '.join(args)} failed in {source}", hint=result.stderr.strip()[-500:]
        )
    return result.stdout.strip()


def _uv() -> str:
    local = Path(sys.executable).parent / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        raise FixiactlError("uv is not installed", hint="run: make venv")
    return found


def _run(cmd: list[str], cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise FixiactlError(
            f"{Path(cmd[0]).name} {cmd[1]} failed", hint=(result.stderr or result.stdout)[-1500:]
        )


def _migration_heads(source: Path) -> list[str]:
    """Revision ids whose file is not anyone's down_revision: read as text, never imported."""
    from fixiactl.deploy.migrations import scan_migrations

    return scan_migrations(source / "src" / "fixia" / "migrations" / "versions").heads()


def build(source: Path, faults: dict[str, str], progress: Any = None) -> Release:
    step = progress or (lambda _m: None)
    if _git(source, "status", "--porcelain", "--untracked-files=no"):
        raise FixiactlError(
            f"{source} has uncommitted changes: a release must be exactly its git sha",
            hint="commit (or stash) first",
        )
    sha = _git(source, "rev-parse", "HEAD")
    commit_time = _git(source, "show", "-s", "--format=%cI", "HEAD")
    version = tomllib.loads((source / "pyproject.toml").read_text())["project"]["version"]
    release_id = f"{version}-{sha[:8]}"
    if faults:
        digest = hashlib.sha256(json.dumps(faults, sort_keys=True).encode()).hexdigest()[:6]
        release_id += f"-f{digest}"
    final = releases_dir() / release_id
    if final.exists():
        raise FixiactlError(
            f"release {release_id} already exists (releases are immutable)",
            hint="commit a change to build a new one, or deploy the existing release",
        )
    tmp = releases_dir() / f".building-{release_id}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        uv = _uv()
        step("building the wheel")
        _run([uv, "build", "--wheel", "--out-dir", str(tmp / "dist"), "--quiet"], source)
        step("locking dependencies")
        lock = tmp / "requirements.lock"
        _run(
            [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet",
             "-o", str(lock)],
            source,
        )  # fmt: skip
        step("installing into the release venv")
        _run(
            [uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(tmp / "venv")],
            source,
        )
        wheels = sorted(str(p) for p in (tmp / "dist").glob("*.whl"))
        _run(
            [uv, "pip", "install", "--quiet", "--compile-bytecode",
             "--python", str(tmp / "venv" / "bin" / "python"),
             "--no-deps", "-r", str(lock), *wheels],
            source,
        )  # fmt: skip
        release = Release(
            id=release_id,
            version=version,
            git_sha=sha,
            commit_time=commit_time,
            built_at=datetime.now(UTC).isoformat(),
            path=str(final),
            migration_heads=_migration_heads(source),
            faults=faults,
        )
        (tmp / "release.json").write_text(json.dumps(release.as_dict(), indent=2))
        (tmp / "release.env").write_text("".join(f"{k}={v}\n" for k, v in release.env().items()))
        for name in ("release.json", "release.env", "requirements.lock"):
            (tmp / name).chmod(0o444)
        tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return release


def checkout_release() -> Release:
    """The checkout's venv that `fixiactl stack up` starts: a valid rollback target."""
    return Release(
        id="dev",
        version="checkout",
        git_sha="unknown",
        commit_time="",
        built_at="",
        path=str(ROOT),
        venv_dir=str(Path(sys.executable).parent.parent),
    )


def load(release_id: str) -> Release:
    if release_id == "dev":
        return checkout_release()
    path = releases_dir() / release_id / "release.json"
    if not path.exists():
        known = ", ".join(r.id for r in list_releases()[-5:]) or "none yet"
        raise FixiactlError(
            f"no release {release_id!r}",
            hint=f"build one with: fixiactl release build (recent: {known})",
        )
    return Release(**json.loads(path.read_text()))


def list_releases() -> list[Release]:
    root = releases_dir()
    if not root.exists():
        return []
    found = [
        Release(**json.loads(p.read_text()))
        for p in root.glob("*/release.json")
        if not p.parent.name.startswith(".")
    ]
    return sorted(found, key=lambda r: r.built_at)
