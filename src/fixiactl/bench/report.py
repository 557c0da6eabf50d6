"""results.json, results.md and latency.svg under var/bench/, and the goals verdict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fixiactl.bench.floor import FloorResult
from fixiactl.bench.plot import Row, latency_chart
from fixiactl.bench.relevance import markdown_lines as relevance_markdown
from fixiactl.bench.wrk import WrkResult

README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"
README_CHART = "docs/bench-latency.svg"  # the README shows the run's latency chart from here
CACHED = ("search", "service", "professional", "categories")
MAX_ERROR_RATE = 0.01  # a run with more failures than this proves nothing about latency


@dataclass
class Scenario:
    name: str
    label: str
    load: str  # what was sent, for the reader
    connections: int
    requests: int
    rps: float  # successful responses per second
    latency_ms: dict[str, float]
    failed: int = 0
    rps_all: float = 0.0  # every response, failures included (wrk's Requests/sec)
    statuses: dict[str, int] = field(default_factory=dict)
    settle_s: float = 0.0  # how long the stack took to go idle before this run
    load_1m: float | None = None  # the machine's load average right after it
    # CPU milliseconds per request during the run, e.g. {"app": 2.1, "machine": 3.4}
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_wrk(
        cls, name: str, label: str, load: str, connections: int, result: WrkResult
    ) -> Scenario:
        return cls(
            name=name,
            label=label,
            load=load,
            connections=connections,
            requests=result.requests,
            rps=round(result.rps, 1),
            latency_ms=result.latency_ms,
            failed=result.failed,
            rps_all=round(result.rps_all, 1),
            statuses=result.statuses,
        )

    @classmethod
    def from_floor(cls, name: str, label: str, load: str, result: FloorResult) -> Scenario:
        mean = result.latency_ms.get("mean", 0.0)
        return cls(
            name=name,
            label=label,
            load=load,
            connections=1,
            requests=result.iterations,
            rps=round(1000 / mean, 1) if mean else 0.0,
            latency_ms=result.latency_ms,
        )

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.failed <= MAX_ERROR_RATE * self.requests


@dataclass
class Goal:
    goal: str
    target: str
    measured: str
    met: bool


def _paced_goal(paced: Scenario, rate: int) -> Goal:
    p99 = paced.latency_ms["p99"]
    reached = paced.rps >= 0.95 * rate
    return Goal(
        goal=f"read mix p99 at {rate} RPS",
        target=f"p99 ≤ 50 ms at ≥ {0.95 * rate:.0f} RPS",
        measured=f"p99 {p99:.1f} ms at {paced.rps:.0f} RPS"
        + ("" if reached else " (rate not reached)"),
        met=reached and p99 <= 50 and paced.clean,
    )


def _ceiling_goal(s: Scenario, ceiling: Scenario) -> Goal:
    ratio = s.rps / ceiling.rps if ceiling.rps else 0.0
    return Goal(
        goal=f"{s.label}: RPS as a share of bare FastAPI on the same bytes",
        target="≥ 50 % (≥ 30 % resolves #25)",
        measured=f"{s.rps:.0f} / {ceiling.rps:.0f} RPS = {ratio:.0%}",
        met=ratio >= 0.5 and s.clean,
    )


def _floor_goal(s: Scenario, floor: Scenario) -> Goal:
    limit = 2 * floor.latency_ms["p95"] + 5
    return Goal(
        goal=f"{s.label}: p95 vs database floor",
        target=f"≤ 2 × {floor.latency_ms['p95']:.1f} + 5 = {limit:.1f} ms",
        measured=f"p95 {s.latency_ms['p95']:.1f} ms",
        met=s.latency_ms["p95"] <= limit and s.clean,
    )


def _rps_goal(s: Scenario, minimum: float, p99_max: float | None = None) -> Goal:
    target = f"≥ {minimum:,.0f} RPS" + (f", p99 ≤ {p99_max:.0f} ms" if p99_max else "")
    p99 = s.latency_ms["p99"]
    met = s.rps >= minimum and s.clean and (p99_max is None or p99 <= p99_max)
    return Goal(
        goal=f"{s.label}: throughput",
        target=target,
        measured=f"{s.rps:,.0f} RPS, p99 {p99:.1f} ms",
        met=met,
    )


def _miss_goal(s: Scenario, floor: Scenario) -> Goal:
    ratio = s.rps / floor.rps if floor.rps else 0.0
    return Goal(
        goal=f"{s.label}: RPS vs the floor's serial RPS",
        target=f"≥ 1.5 × {floor.rps:.0f} = {1.5 * floor.rps:.0f} RPS",
        measured=f"{s.rps:.0f} RPS = {ratio:.2f} ×",
        met=ratio >= 1.5 and s.clean,
    )


# The (#25) throughput goals: scenario -> minimum RPS (and p99 ceiling).
RPS_GOALS: dict[str, tuple[float, float | None]] = {
    "read-mix": (4000, None),
    "project": (400, None),
    "apply": (300, None),
    "web": (1000, 50),
}


def evaluate(scenarios: dict[str, Scenario], rate: int) -> list[Goal]:
    goals = [
        _ceiling_goal(scenarios[f"{n}-direct"], scenarios[f"fastapi-{n}-direct"])
        for n in CACHED
        if f"{n}-direct" in scenarios and f"fastapi-{n}-direct" in scenarios
    ]
    goals += [_rps_goal(scenarios[n], *RPS_GOALS[n]) for n in RPS_GOALS if n in scenarios]
    if "read-paced" in scenarios:
        goals.append(_paced_goal(scenarios["read-paced"], rate))
    floor = scenarios.get("db-floor")
    if floor is not None and "search-miss" in scenarios:
        goals.append(_miss_goal(scenarios["search-miss"], floor))
    if floor is not None and "search-miss-8" in scenarios:
        goals.append(_floor_goal(scenarios["search-miss-8"], floor))
    return goals


def ceiling_rows(scenarios: dict[str, dict[str, Any]]) -> list[str]:
    """Each cached read against the bare apps on the same bytes, straight and via HAProxy."""
    lines = [
        "",
        "| cached read | path | Fixia RPS | bare FastAPI RPS | bare Starlette RPS "
        "| Fixia as % of FastAPI |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for name in CACHED:
        ways = (("straight", f"{name}-direct", "-direct"), ("HAProxy", name, ""))
        for path, fixia, suffix in ways:
            fast = scenarios.get(f"fastapi-{name}{suffix}")
            star = scenarios.get(f"starlette-{name}{suffix}")
            own = scenarios.get(fixia)
            if not (fast and star and own):
                continue
            share = own["rps"] / fast["rps"] if fast["rps"] else 0.0
            lines.append(
                f"| {name} | {path} | {own['rps']:,.0f} | {fast['rps']:,.0f} | "
                f"{star['rps']:,.0f} | {share:.0%} |"
            )
    return lines if len(lines) > 3 else []


def server_rows(scenarios: dict[str, dict[str, Any]]) -> list[str]:
    """uvicorn against granian on the same apps, when the run measured both."""
    lines = [
        "",
        "| app, read | uvicorn RPS | granian RPS | granian / uvicorn |",
        "|---|--:|--:|--:|",
    ]
    for app in ("fixia", "fastapi"):
        for name in CACHED:
            uvicorn = scenarios.get(f"uvicorn-{app}-{name}")
            granian = scenarios.get(f"granian-{app}-{name}")
            if not (uvicorn and granian):
                continue
            share = granian["rps"] / uvicorn["rps"] if uvicorn["rps"] else 0.0
            lines.append(
                f"| {app}, {name} | {uvicorn['rps']:,.0f} | {granian['rps']:,.0f} | {share:.0%} |"
            )
    return lines if len(lines) > 3 else []


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def markdown(report: dict[str, Any]) -> str:
    run = report["run"]
    lines = [
        f"Run {run['finished_at']} · {run['cpus']} CPUs · wrk {run['threads']} thread(s), "
        f"{run['connections']} read / {run.get('write_connections', run['connections'])} write "
        f"connections, {run['duration_s']} s per scenario · "
        f"load average before {run['load_before']}, after {run['load_after']}",
        "",
        "| scenario | load | conns | OK RPS | p50 ms | p95 ms | p99 ms | failed |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for s in report["scenarios"]:
        lat = s["latency_ms"]
        lines.append(
            f"| {s['label']} | {s['load']} | {s['connections']} | {s['rps']:.0f} | "
            f"{_ms(lat['p50'])} | {_ms(lat['p95'])} | {_ms(lat['p99'])} | "
            f"{s['failed']} / {s['requests']} |"
        )
    by_name = {s["name"]: s for s in report["scenarios"]}
    lines += ceiling_rows(by_name) + server_rows(by_name)
    lines += ["", "| goal | target | measured | met |", "|---|---|---|---|"]
    for g in report["goals"]:
        verdict = "yes" if g["met"] else "**no**"
        lines.append(f"| {g['goal']} | {g['target']} | {g['measured']} | {verdict} |")
    if report["run"].get("relevance"):
        lines += relevance_markdown(report["run"]["relevance"])
    lines += ["", *[f"- {note}" for note in report["notes"]]]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any]) -> bytes:
    rows = [
        Row(s["label"], s["latency_ms"], f"{s['rps']:.0f} RPS, {s['connections']} conn.")
        for s in report["scenarios"]
    ]
    return latency_chart(rows, f"Fixia bench {report['run']['finished_at'][:16]}")


def chart_link(markdown_text: str) -> str:
    """The README's copy: the table and the latency chart kept next to it (docs/)."""
    return markdown_text + f"\n![Latency per scenario]({README_CHART})\n"


def write_outputs(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "results.json",
        "markdown": out_dir / "results.md",
        "plot": out_dir / "latency.svg",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    paths["markdown"].write_text(markdown(report))
    paths["plot"].write_bytes(chart(report))
    return paths


def replace_readme_section(readme: str, table: str) -> str | None:
    """The README with the text between the bench markers replaced; None without markers."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        return None
    return readme[: start + len(README_START)] + "\n" + table + readme[end:]


def as_dicts(scenarios: list[Scenario], goals: list[Goal]) -> dict[str, Any]:
    return {"scenarios": [asdict(s) for s in scenarios], "goals": [asdict(g) for g in goals]}
