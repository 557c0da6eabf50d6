"""What a gate is, what it returns, and the one way gates run external tools."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from fixiactl.stack.config import ROOT


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # Only for a check that cannot run here by nature (pip-audit without an advisory database),
    # or whose input does not exist yet (no rule files); never for a missing tool.
    SKIPPED = "skipped"


class Speed(StrEnum):
    FAST = "fast"  # seconds; also runs inside `make test` (tests/gates)
    SLOW = "slow"  # tens of seconds or more; only `make gates` and CI


@dataclass
class GateResult:
    status: Status
    detail: str = ""
    output: str = ""
    seconds: float = 0.0


@dataclass
class Context:
    root: Path = ROOT
    work: Path = field(default_factory=lambda: ROOT / "var" / "gates")
    timeout_s: float = 900.0

    def run(
        self,
        cmd: Sequence[str | Path],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> tuple[int, str]:
        """Run a tool; return its exit code and combined output (never raises on failure)."""
        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        try:
            proc = subprocess.run(
                [str(c) for c in cmd],
                cwd=cwd or self.root,
                env=full_env,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
            )
        except FileNotFoundError as exc:
            return 127, f"not installed: {exc.filename}"
        except subprocess.TimeoutExpired:
            return 124, f"timed out after {self.timeout_s:.0f}s"
        return proc.returncode, proc.stdout + proc.stderr

    def tool(self, cmd: Sequence[str | Path], **kw: Path | dict[str, str] | None) -> GateResult:
        """Exit code 0 passes; anything else fails with the tool's output tail."""
        code, out = self.run(cmd, **kw)  # type: ignore[arg-type]
        if code == 0:
            return GateResult(Status.PASSED, output=out)
        return GateResult(Status.FAILED, detail=f"exit {code}: {tail(out)}", output=out)


def tail(text: str, lines: int = 3) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[:300]


@dataclass(frozen=True)
class Gate:
    name: str
    group: str
    speed: Speed
    check: Callable[[Context], GateResult]
    about: str


def run_gate(gate: Gate, ctx: Context) -> GateResult:
    started = time.monotonic()
    try:
        result = gate.check(ctx)
    except Exception as exc:  # a crashing gate is a failed gate, reported like the others
        result = GateResult(Status.FAILED, detail=f"{type(exc).__name__}: {exc}")
    result.seconds = round(time.monotonic() - started, 2)
    return result
