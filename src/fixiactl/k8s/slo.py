"""The SLO specs in `deploy/slo/`, seen from a canary: the same specs `fixiactl slo generate`
turns into burn-rate rules (`fixiactl.slo.spec` is the one reader), with every metric
selector narrowed to the canary's pods so Argo judges the canary alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fixiactl.slo import spec

# `fixia_metric{...}` or a bare `fixia_metric[`: where a selector is added.
_WITH_LABELS = re.compile(r"\b(fixia_[a-z0-9_]+)\{")
_BARE = re.compile(r"\b(fixia_[a-z0-9_]+)\[")


@dataclass(frozen=True)
class Slo:
    name: str
    service: str  # fixia-api: exercised by any read traffic; others need their own flows
    objective: float  # percent, e.g. 99.9
    error_query: str  # PromQL with $window
    total_query: str
    min_events: int = 20  # fewer requests per side in a window: no verdict (NaN)

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective / 100, 6)


def load_slos(directory: Path) -> list[Slo]:
    return [
        Slo(
            name=s.name,
            service=s.service,
            objective=round(s.objective * 100, 6),
            error_query=s.errors,
            total_query=s.total,
            min_events=s.min_events["ticket"],
        )
        for s in spec.load_slos(directory)
    ]


def render_query(template: str, *, window: str, selector: str) -> str:
    out = template.replace("$window", window)
    out = _WITH_LABELS.sub(lambda m: f"{m.group(1)}{{{selector},", out)
    return _BARE.sub(lambda m: f"{m.group(1)}{{{selector}}}[", out)
