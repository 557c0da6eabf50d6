"""`fixiactl bench --ha-reads`'s pure parts: the cell rows, the decision and the report.

The measurement itself needs an HA stack and never runs in the suite.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixiactl.bench import ha_reads
from fixiactl.bench.ha_reads import Cell, decide, markdown
from fixiactl.errors import FixiactlError


def _rows(replica_rps: float, replica_p95: float) -> list[dict[str, Any]]:
    rows = []
    for load in ("idle", "writes"):
        for conns in ha_reads.CONNECTIONS:
            rows.append(
                {"route": "primary", "load": load, "connections": conns, "statements": 100}
                | {"rps": 100.0, "p50_ms": 5.0, "p95_ms": 10.0, "writes": 0, "max_lag_bytes": 0}
            )
            rows.append(
                {"route": "replica", "load": load, "connections": conns, "statements": 100}
                | {"rps": replica_rps, "p50_ms": 5.0, "p95_ms": replica_p95}
                | {"writes": 0, "max_lag_bytes": 4096}
            )
    return rows


def test_a_cell_reports_rps_percentiles_and_the_worst_lag() -> None:
    cell = Cell("replica", "writes", 4, samples_ms=[1.0, 2.0, 3.0, 10.0], seconds=2.0)
    cell.lag_bytes = [0, 512, 128]
    row = cell.row()
    assert row["statements"] == 4
    assert row["rps"] == 2.0
    assert row["p50_ms"] == 2.0
    assert row["p95_ms"] == 10.0
    assert row["max_lag_bytes"] == 512


def test_the_replicas_help_only_with_more_throughput_and_no_worse_p95() -> None:
    assert decide(_rows(replica_rps=130.0, replica_p95=9.0))["helps"] is True
    # Faster, but the tail got worse: not worth serving stale reads for.
    assert decide(_rows(replica_rps=130.0, replica_p95=12.0))["helps"] is False
    # A gain within the noise does not count.
    assert decide(_rows(replica_rps=105.0, replica_p95=9.0))["helps"] is False
    assert decide(_rows(replica_rps=80.0, replica_p95=15.0))["helps"] is False


def test_the_decision_compares_every_load_and_connection_count() -> None:
    pairs = decide(_rows(replica_rps=80.0, replica_p95=15.0))["pairs"]
    assert {(p["load"], p["connections"]) for p in pairs} == {
        (load, conns) for load in ("idle", "writes") for conns in ha_reads.CONNECTIONS
    }
    assert all(p["rps_gain"] == -0.2 and p["p95_ratio"] == 1.5 for p in pairs)


def test_the_report_has_a_row_per_cell_and_the_decision() -> None:
    rows = _rows(replica_rps=80.0, replica_p95=15.0)
    report = {
        "services": 5000,
        "shapes": ["text", "newest"],
        "rounds": 2,
        "cell_s": 6.0,
        "writes_per_s": 50,
        "cells": rows,
        "decision": decide(rows),
    }
    text = markdown(report)
    assert text.count("| primary |") == len(rows) // 2
    assert text.count("| replica |") == len(rows) // 2
    assert "does not help" in text


def test_a_stack_without_ha_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ha_reads, "state_dir", lambda _env: tmp_path)
    with pytest.raises(FixiactlError, match="not an HA stack"):
        ha_reads.run("dev", 5000, lambda _msg: None)
