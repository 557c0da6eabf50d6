"""Panel builders shared by the dashboards (grafana-foundation-sdk, pinned)."""

from __future__ import annotations

import warnings
from typing import Any

# The SDK deprecates the classic dashboard schema in favour of v2 (see dashboards.py).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import prometheus, stat, timeseries
    from grafana_foundation_sdk.models.common import DataSourceRef

DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")
Query = tuple[str, str]  # (PromQL, legend)


def _targets(panel: Any, queries: list[Query]) -> Any:
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(
            prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + i))
        )
    return panel


def graph(title: str, queries: list[Query], unit: str = "short", width: int = 12) -> Any:
    panel = timeseries.Panel().title(title).unit(unit).span(width).height(8)
    return _targets(panel.datasource(DATASOURCE), queries)


def single(title: str, queries: list[Query], unit: str = "short", width: int = 6) -> Any:
    panel = stat.Panel().title(title).unit(unit).span(width).height(5)
    return _targets(panel.datasource(DATASOURCE), queries)
