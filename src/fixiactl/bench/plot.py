"""latency.png: p50/p95/p99 of every scenario as horizontal bars on a log scale."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fixiactl.bench.png import Canvas, Color, text_width

SERIES: list[tuple[str, Color]] = [
    ("p50", (76, 132, 196)),
    ("p95", (242, 142, 43)),
    ("p99", (214, 69, 65)),
]
LABEL_W, PLOT_W, VALUE_W = 330, 560, 90
TOP, BAR_H, BAR_GAP, ROW_GAP = 70, 9, 2, 14
GRID: Color = (225, 225, 225)
INK: Color = (40, 40, 40)


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


def _draw_axis(canvas: Canvas, axis: LogAxis, bottom: int) -> None:
    for decade in range(axis.lo, axis.hi + 1):
        x = axis.x(10.0**decade)
        canvas.rect(x, TOP - 6, 1, bottom - TOP + 6, GRID)
        label = f"{10.0**decade:g}"
        canvas.text(x - text_width(label) // 2, bottom + 6, label, INK)
    canvas.text(axis.x0 + axis.width // 2 - 60, bottom + 20, "latency, ms (log)", INK)


def _draw_legend(canvas: Canvas, x: int, y: int) -> None:
    for name, color in SERIES:
        canvas.rect(x, y, 10, 10, color)
        x += 16 + canvas.text(x + 14, y + 1, name, INK, scale=1) + 12


def _draw_row(canvas: Canvas, axis: LogAxis, row: Row, y: int) -> None:
    label = row.label if len(row.label) <= 26 else row.label[:25] + "."
    canvas.text(10, y + 2, label, INK, scale=2)
    canvas.text(10, y + 20, row.note, (110, 110, 110))
    for i, (name, color) in enumerate(SERIES):
        value = row.latency_ms.get(name, 0.0)
        top = y + i * (BAR_H + BAR_GAP)
        end = axis.x(value)
        canvas.rect(axis.x0, top, max(end - axis.x0, 1), BAR_H, color)
        canvas.text(end + 4, top + 1, f"{value:.1f}", INK)


def latency_chart(rows: list[Row], title: str) -> bytes:
    values = [r.latency_ms.get(name, 0.0) for r in rows for name, _ in SERIES]
    axis = LogAxis.covering(values, LABEL_W, PLOT_W)
    bottom = TOP + len(rows) * _row_height()
    canvas = Canvas(LABEL_W + PLOT_W + VALUE_W, bottom + 40)
    canvas.text(10, 12, title, INK, scale=2)
    _draw_legend(canvas, 10, 40)
    _draw_axis(canvas, axis, bottom)
    for i, row in enumerate(rows):
        _draw_row(canvas, axis, row, TOP + i * _row_height())
    return canvas.png()
