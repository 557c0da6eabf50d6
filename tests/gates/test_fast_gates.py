"""The fast quality gates, run inside `make test` exactly as `fixiactl gates` runs them.

ruff and mypy are not repeated here: `make test` runs them itself (make lint typecheck).
A skip is accepted only where the gate's input does not exist on this branch yet."""

from __future__ import annotations

import pytest

from fixiactl.gates.model import Context, Speed, Status, run_gate
from fixiactl.gates.registry import GATES
from fixiactl.stack.config import ROOT

IN_MAKE_LINT = {"ruff-lint", "ruff-format", "mypy"}
FAST = [g for g in GATES if g.speed is Speed.FAST and g.name not in IN_MAKE_LINT]


def skip_allowed(name: str) -> bool:
    if name == "promtool":
        return not any((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
    return False


@pytest.mark.parametrize("gate", FAST, ids=[g.name for g in FAST])
def test_fast_gate_passes(gate, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_gate(gate, Context(work=tmp_path))
    if result.status is Status.SKIPPED:
        assert skip_allowed(gate.name), f"{gate.name} skipped without reason: {result.detail}"
        return
    assert result.status is Status.PASSED, f"{result.detail}\n{result.output[-4000:]}"


def test_migration_safety_fails_on_two_heads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "src" / "fixia" / "migrations" / "versions"
    versions.mkdir(parents=True)
    for rev in ("a", "b"):
        (versions / f"{rev}.py").write_text(
            f'revision = "{rev}"\ndown_revision = None\n\ndef upgrade() -> None:\n    pass\n'
        )
    gate = next(g for g in GATES if g.name == "migration-safety")
    result = run_gate(gate, Context(work=tmp_path, root=tmp_path))
    assert result.status is Status.FAILED and "one head" in result.detail
