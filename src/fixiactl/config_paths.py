"""Paths shown to operators: relative to the checkout when they are inside it."""

from __future__ import annotations

from pathlib import Path

from fixiactl.stack.config import ROOT


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)
