"""What runs where: version, git sha and blue/green slot, for `fixia version` and
fixia_build_info. Outside the observability package, whose import creates metric files."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache

from fixia import __version__
from fixia.config import Settings


@lru_cache
def git_sha(configured: str = "unknown") -> str:
    """FIXIA_GIT_SHA (Settings.git_sha) when set, else the checkout's HEAD, else unknown."""
    if configured and configured != "unknown":
        return configured
    env = os.environ.get("FIXIA_GIT_SHA")
    if env:
        return env
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, fixed args
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def slot(settings: Settings) -> str:
    return settings.observability.slot or os.environ.get("FIXIA_SLOT") or "none"


def build_labels(settings: Settings) -> dict[str, str]:
    return {"version": __version__, "git_sha": git_sha(settings.git_sha), "slot": slot(settings)}
