"""The SLO spec (deploy/slo/*.yaml) and the multi-window, multi-burn-rate alert table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fixiactl.errors import FixiactlError
from fixiactl.stack.config import DEPLOY

SLO_DIR = DEPLOY / "slo"
# Recording windows: every alert window plus 2h and 1d for dashboards.
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
ROLES = ("good", "bad", "total")


def seconds(duration: str) -> int:
    """'5m' -> 300. Only the single-unit durations the specs use."""
    match = re.fullmatch(r"(\d+)([mhd])", duration)
    if not match:
        raise FixiactlError(f"unsupported duration {duration!r}", hint="use e.g. 5m, 6h, 30d")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class BurnAlert:
    """One alert of the SRE Workbook table: fires when both windows burn faster than `burn`."""

    name: str
    burn: float
    long: str
    short: str
    severity: str
    for_: str
    kind: str  # page | ticket: selects the low-traffic guard

    def budget_spent(self, period: str) -> float:
        """Share of the period's error budget gone when the long window just reaches the burn."""
        return self.burn * seconds(self.long) / seconds(period)


BURN_ALERTS = (
    BurnAlert("SLOErrorBudgetBurnFast", 14.4, "1h", "5m", "critical", "2m", "page"),
    BurnAlert("SLOErrorBudgetBurnMedium", 6.0, "6h", "30m", "critical", "15m", "page"),
    BurnAlert("SLOErrorBudgetBurnSlow", 1.0, "3d", "6h", "warning", "1h", "ticket"),
)


@dataclass(frozen=True)
class SLO:
    name: str
    service: str
    team: str
    description: str
    objective: float
    period: str
    errors: str  # PromQL with $window, the rate of bad events
    total: str  # PromQL with $window, the rate of all events
    min_events: dict[str, int]
    test_series: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 10)

    def threshold(self, alert: BurnAlert) -> float:
        return round(alert.burn * self.budget, 10)

    def errors_at(self, window: str) -> str:
        return self.errors.replace("$window", window)

    def total_at(self, window: str) -> str:
        return self.total.replace("$window", window)


def _parse(data: dict[str, Any], path: Path) -> SLO:
    try:
        slo = SLO(
            name=data["name"],
            service=data["service"],
            team=data["team"],
            description=data["description"],
            objective=float(data["objective"]),
            period=data.get("period", "30d"),
            errors=" ".join(str(data["sli"]["errors"]).split()),
            total=" ".join(str(data["sli"]["total"]).split()),
            min_events={k: int(v) for k, v in data["min_events"].items()},
            test_series=dict(data.get("test_series", {})),
            path=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FixiactlError(f"{path}: invalid SLO spec ({exc!r})") from exc
    problems = []
    if not _NAME.match(slo.name):
        problems.append("name must be kebab-case")
    if not 0.5 < slo.objective < 1:
        problems.append("objective must be a ratio between 0.5 and 1")
    if "$window" not in slo.errors or "$window" not in slo.total:
        problems.append("sli.errors and sli.total must use $window")
    if set(slo.min_events) != {"page", "ticket"}:
        problems.append("min_events needs page and ticket")
    if not set(slo.test_series.values()) <= set(ROLES):
        problems.append(f"test_series roles must be among {ROLES}")
    if problems:
        raise FixiactlError(f"{path}: " + "; ".join(problems))
    return slo


def load_slos(directory: Path = SLO_DIR) -> list[SLO]:
    """Every SLO spec in `directory`, sorted by name."""
    slos = [_parse(yaml.safe_load(p.read_text()), p) for p in sorted(directory.glob("*.yaml"))]
    names = [s.name for s in slos]
    if len(set(names)) != len(names):
        raise FixiactlError(f"duplicate SLO names in {directory}: {names}")
    return sorted(slos, key=lambda s: s.name)
