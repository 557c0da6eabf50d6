"""A minimal reader of `deploy/slo/*.yaml`, enough to derive canary analysis.

Schema (one SLO per file; extra keys, e.g. the monitoring generator's, are ignored):

    name: api-availability          # kebab-case, unique
    objective: 99.9                 # percent of good events over the SLO window
    sli:
      error_query: sum(rate(fixia_http_requests_total{status=~"5.."}[{{window}}]))
      total_query: sum(rate(fixia_http_requests_total[{{window}}]))

`{{window}}` (or Sloth's `{{.window}}`) is replaced by the analysis interval. Queries may use
`{{selector}}`, replaced by the label matcher that restricts them to the canary's pods.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from fixiactl.errors import FixiactlError


@dataclass(frozen=True)
class Slo:
    name: str
    objective: float
    error_query: str
    total_query: str

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective / 100, 6)


def load_slos(directory: Path) -> list[Slo]:
    slos = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text()) or {}
        try:
            sli = doc["sli"]
            slos.append(
                Slo(
                    name=str(doc["name"]),
                    objective=float(doc["objective"]),
                    error_query=str(sli["error_query"]),
                    total_query=str(sli["total_query"]),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FixiactlError(
                f"{path}: not an SLO spec ({exc})", hint="see fixiactl/k8s/slo.py for the schema"
            ) from exc
        if not 0 < slos[-1].objective < 100:
            raise FixiactlError(f"{path}: objective must be a percentage below 100")
    return slos


def render_query(template: str, *, window: str, selector: str) -> str:
    out = template.replace("{{.window}}", window).replace("{{window}}", window)
    return out.replace("{{selector}}", selector)
