"""CPU seconds from /proc: the machine's busy time and a process tree's own time.

Throughput on a shared 2-core box swings by ±20 % between identical runs; the CPU that one
request costs does not, because it does not depend on who else wanted the cores. The
overhead benchmark reports both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s(proc: Path = PROC) -> float:
    """All CPUs' time not idle and not waiting for I/O since boot."""
    fields = [int(x) for x in (proc / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICK


def _stat(pid: int, proc: Path) -> tuple[int, float] | None:
    """(parent pid, user + system seconds), or None for a process that is gone."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after its last ')'.
    rest = text[text.rindex(")") + 2 :].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICK


def tree_cpu_s(roots: Iterable[int], proc: Path = PROC) -> float:
    """User + system seconds of the root processes and all their live descendants."""
    stats = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name), proc)) is not None:
            stats[int(entry.name)] = stat
    wanted, total = set(roots), 0.0
    frontier = list(wanted)
    while frontier:
        pid = frontier.pop()
        if pid in stats:
            total += stats[pid][1]
        children = [p for p, (ppid, _) in stats.items() if ppid == pid and p not in wanted]
        wanted.update(children)
        frontier.extend(children)
    return total


def probe(app_pids: Callable[[], list[int]]) -> Callable[[], dict[str, float]]:
    """A reading of {"app": seconds, "machine": seconds} for Context.load to difference."""

    def read() -> dict[str, float]:
        return {"app": tree_cpu_s(app_pids()), "machine": machine_busy_s()}

    return read
