"""latency.svg: p50/p95/p99 of every scenario as horizontal bars on a log scale.

A small SVG written by hand: the browser (and GitHub's README view) does the text and the
scaling, so the chart needs no plotting library and no font of its own."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

SERIES: list[tuple[str, str]] = [("p50", "#4c84c4"), ("p95", "#f28e2b"), ("p99", "#d64541")]
LABEL_W, PLOT_W, VALUE_W = 330, 560, 90
TOP, BAR_H, BAR_GAP, ROW_GAP = 70, 9, 2, 14
GRID, INK, NOTE = "#e1e1e1", "#282828", "#6e6e6e"


@dataclass(frozen=True)
class Row:
    label: str
    latency_ms: dict[str, float]
    note: str = ""  # a second, smaller line under the label (e.g. the RPS)


@dataclass(frozen=True)
class LogAxis:
    lo: int  # decades, e.g. -1 for 0.1 ms
    hi: int
    x0: int
    width: int

    @classmethod
    def covering(cls, values: Sequence[float], x0: int, width: int) -> LogAxis:
        positive = [v for v in values if v > 0] or [1.0]
        lo = math.floor(math.log10(min(positive)))
        hi = max(math.ceil(math.log10(max(positive))), lo + 1)
        return cls(lo, hi, x0, width)

    def x(self, value: float) -> int:
        decades = math.log10(max(value, 10.0**self.lo)) - self.lo
        return self.x0 + round(decades / (self.hi - self.lo) * self.width)


def _row_height() -> int:
    return len(SERIES) * (BAR_H + BAR_GAP) + ROW_GAP


def _text(x: float, y: float, body: str, *, size: int = 11, fill: str = INK, **extra: str) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in extra.items())
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}"{attrs}>{escape(body)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{fill}"/>'


def _axis(axis: LogAxis, bottom: int) -> list[str]:
    parts = []
    for decade in range(axis.lo, axis.hi + 1):
        x = axis.x(10.0**decade)
        parts.append(_rect(x, TOP - 6, 1, bottom - TOP + 6, GRID))
        parts.append(_text(x, bottom + 16, f"{10.0**decade:g}", text_anchor="middle"))
    parts.append(
        _text(axis.x0 + axis.width / 2, bottom + 32, "latency, ms (log)", text_anchor="middle")
    )
    return parts


def _legend(x: int, y: int) -> list[str]:
    parts = []
    for name, color in SERIES:
        parts += [_rect(x, y, 10, 10, color), _text(x + 14, y + 9, name)]
        x += 60
    return parts


def _row(axis: LogAxis, row: Row, y: int) -> list[str]:
    parts = [
        _text(10, y + 12, row.label, size=14, font_weight="bold"),
        _text(10, y + 28, row.note, fill=NOTE),
    ]
    for i, (name, color) in enumerate(SERIES):
        value = row.latency_ms.get(name, 0.0)
        top = y + i * (BAR_H + BAR_GAP)
        end = axis.x(value)
        parts.append(_rect(axis.x0, top, max(end - axis.x0, 1), BAR_H, color))
        parts.append(_text(end + 4, top + 8, f"{value:.1f}", size=9))
    return parts


def latency_chart(rows: list[Row], title: str) -> bytes:
    values = [r.latency_ms.get(name, 0.0) for r in rows for name, _ in SERIES]
    axis = LogAxis.covering(values, LABEL_W, PLOT_W)
    bottom = TOP + len(rows) * _row_height()
    width, height = LABEL_W + PLOT_W + VALUE_W, bottom + 44
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        _rect(0, 0, width, height, "#ffffff"),
        _text(10, 24, title, size=16, font_weight="bold"),
        *_legend(10, 40),
        *_axis(axis, bottom),
    ]
    for i, row in enumerate(rows):
        parts += _row(axis, row, TOP + i * _row_height())
    return ("\n".join([*parts, "</svg>"]) + "\n").encode()
