"""The month's SLO report as Markdown, CSV and an SVG chart of the cumulative budget burned."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, datetime
from html import escape
from typing import Any

from fixiactl.slo.report import SLOMonth

COLOURS = ("#4c84c4", "#f28e2b", "#d64541", "#59a14f", "#9c6ade")
W, H, LEFT, TOP, PLOT_W, PLOT_H = 720, 360, 60, 40, 520, 260


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def as_json(report: dict[str, Any]) -> dict[str, Any]:
    return report | {"slos": [asdict(s) for s in report["slos"]]}


def markdown(report: dict[str, Any], chart_name: str) -> str:
    lines = [
        f"# SLO report {report['month']}",
        "",
        f"![Cumulative error budget burned]({chart_name})",
        "",
        "| SLO | objective | events | bad | budget (bad events) | burned | left |",
        "|---|---|---|---|---|---|---|",
    ]
    slos: list[SLOMonth] = report["slos"]
    for s in slos:
        if s.total is None:
            lines.append(f"| {s.slo} | {s.objective:.2%} | no data | | | | |")
            continue
        lines.append(
            f"| {s.slo} | {s.objective:.2%} | {s.total:.0f} | {s.bad:.0f} | "
            f"{s.budget_events:.1f} | {s.burned:.1%} | {1 - s.burned:.1%} |"
        )
    for s in slos:
        lines += ["", f"## {s.slo}: what burned the budget", ""]
        if s.total is None:
            lines.append("No data for the month: nothing is attributed.")
            continue
        lines += ["| kind | what | from | to | bad events | budget |", "|---|---|---|---|---|---|"]
        for a in sorted(s.attributions, key=lambda a: -a.bad):
            lines.append(
                f"| {a.kind} | {a.id} {a.label} | {_when(a.start)} | {_when(a.end)} | "
                f"{a.bad:.1f} | {a.budget_share:.1%} |"
            )
    return "\n".join(lines) + "\n"


def rows_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "slo", "kind", "id", "label", "start", "end", "bad_events",
                     "budget_share"])  # fmt: skip
    for s in report["slos"]:
        burned = f"{s.burned:.6f}" if s.total is not None else ""
        writer.writerow([report["month"], s.slo, "total", "", "", "", "", f"{s.bad:.3f}", burned])
        for a in s.attributions:
            writer.writerow([
                report["month"], s.slo, a.kind, a.id, a.label, _when(a.start), _when(a.end),
                f"{a.bad:.3f}", f"{a.budget_share:.6f}",
            ])  # fmt: skip
    return out.getvalue()


def svg(report: dict[str, Any]) -> str:
    """Cumulative share of each SLO's monthly budget burned, day by day; 100 % dashed."""
    slos: list[SLOMonth] = [s for s in report["slos"] if s.daily_burned]
    top = max([1.0, *(max(s.daily_burned) for s in slos)])
    days = max([1, *(len(s.daily_burned) for s in slos)])

    def x(day: float) -> float:
        return LEFT + day / days * PLOT_W

    def y(share: float) -> float:
        return TOP + PLOT_H - max(share, 0.0) / top * PLOT_H

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{LEFT}" y="20" font-size="14">Error budget burned, {report["month"]}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" '
        'stroke="#999"/>',
        f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{y(1):.1f}" y2="{y(1):.1f}" '
        'stroke="#d64541" stroke-dasharray="4 3"/>',
        f'<text x="{LEFT - 5}" y="{y(1) + 4:.1f}" text-anchor="end">100%</text>',
        f'<text x="{LEFT - 5}" y="{TOP + PLOT_H + 4}" text-anchor="end">0%</text>',
        f'<text x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H + 20}" text-anchor="middle">day of '
        "month</text>",
    ]
    for i, s in enumerate(slos):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in enumerate([0.0, *s.daily_burned]))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{LEFT + PLOT_W + 10}" y="{TOP + 12 + 16 * i}" fill="{colour}">'
            f"{escape(s.slo)} {s.burned:.0%}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
