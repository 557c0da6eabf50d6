"""The rooms that import each other: map every module under `src/fixia` and `src/fixiactl`
(migrations aside) to its top-level folder or module, read every import with `ast`
(relative ones and those inside functions too), and list the pairs A↔B where A imports B and
B imports A. This is issue #28's count, written as the issue defines it; import-linter
checks the floors' contracts (`[tool.importlinter]` in pyproject.toml), not this number.

The gate is a ratchet: `.import-pairs` lists the pairs we still live with, a new pair fails,
and a pair that disappeared must be struck from the list, so the count only goes down.
"""

from __future__ import annotations

import ast
from pathlib import Path

from fixiactl.gates.model import Context, GateResult, Status
from fixiactl.gates.tools import venv_bin

PACKAGES = ("fixia", "fixiactl")
ALLOWED = ".import-pairs"


def _imported(node: ast.AST, module: list[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [n.name for n in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = module[: len(module) - node.level] if node.level else []
    name = ".".join([*base, node.module] if node.module else base)
    if name in PACKAGES:  # `from fixia import tasks`: the names are the modules
        return [f"{name}.{n.name}" for n in node.names]
    return [name]


def edges(src: Path) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for package in PACKAGES:
        for path in (src / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = list(path.relative_to(src).with_suffix("").parts)
            room = module[1]
            for node in ast.walk(ast.parse(path.read_text())):
                for name in _imported(node, module):
                    parts = name.split(".")
                    if (
                        parts[0] == package
                        and len(parts) > 1
                        and parts[1] not in (room, "migrations")
                    ):
                        found.add((package, room, parts[1]))
    return found


def mutual_pairs(src: Path) -> list[str]:
    found = edges(src)
    return sorted(
        {f"{p}: {' <-> '.join(sorted((a, b)))}" for p, a, b in found if (p, b, a) in found}
    )


def import_pairs(ctx: Context) -> GateResult:
    pairs = mutual_pairs(ctx.root / "src")
    listed = ctx.root / ALLOWED
    allowed = {
        line.strip()
        for line in (listed.read_text().splitlines() if listed.exists() else [])
        if line.strip() and not line.startswith("#")
    }
    new, gone = sorted(set(pairs) - allowed), sorted(allowed - set(pairs))
    output = "\n".join(pairs)
    if new:
        return GateResult(
            Status.FAILED, detail=f"new mutual imports: {'; '.join(new)}", output=output
        )
    if gone:
        return GateResult(
            Status.FAILED, detail=f"gone, strike from {ALLOWED}: {'; '.join(gone)}", output=output
        )
    return GateResult(Status.PASSED, detail=f"{len(pairs)} pairs import each other", output=output)


def import_contracts(ctx: Context) -> GateResult:
    # --no-cache: the cache sits in the work tree and a stale one has hidden a new import.
    return ctx.tool(
        [venv_bin("lint-imports"), "--no-cache", "--config", ctx.root / "pyproject.toml"]
    )
