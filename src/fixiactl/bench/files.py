"""Where a bench leaves its result: `<stem>.json` and `<stem>.md` side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_pair(out_dir: Path, stem: str, report: dict[str, Any], text: str) -> dict[str, str]:
    """The report as JSON and its Markdown `text`; returns both paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md"}
    paths["json"].write_text(json.dumps(report, indent=2, default=str) + "\n")
    paths["markdown"].write_text(text)
    return {kind: str(path) for kind, path in paths.items()}
