"""Prometheus recording rules and burn-rate alerts for one SLO."""

from __future__ import annotations

import re
from typing import Any

from fixiactl.slo.spec import BURN_ALERTS, SLO, WINDOWS, BurnAlert, seconds


def kebab(alertname: str) -> str:
    """SLOErrorBudgetBurnFast -> slo-error-budget-burn-fast (the runbook file name)."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+", alertname)
    return "-".join(w.lower() for w in words)


def runbook_url(alertname: str) -> str:
    return f"docs/runbooks/{kebab(alertname)}.md"


def error_ratio(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def event_rate(window: str) -> str:
    return f"slo:sli_events:rate{window}"


def _recording(slo: SLO) -> list[dict[str, Any]]:
    labels = {"slo": slo.name, "service": slo.service}
    rules: list[dict[str, Any]] = []
    for window in (*WINDOWS, slo.period):
        rules.append(
            {
                "record": error_ratio(window),
                "expr": f"({slo.errors_at(window)}) / ({slo.total_at(window)})",
                "labels": labels,
            }
        )
        rules.append({"record": event_rate(window), "expr": slo.total_at(window), "labels": labels})
    rules.append(
        {"record": "slo:objective:ratio", "expr": f"vector({slo.objective})", "labels": labels}
    )
    rules.append(
        {
            "record": "slo:error_budget_remaining:ratio",
            "expr": f'1 - {error_ratio(slo.period)}{{slo="{slo.name}"}} / {slo.budget}',
            "labels": labels,
        }
    )
    return rules


def _minutes(value: float) -> str:
    return f"{value:.1f} min" if value < 120 else f"{value / 60:.1f} h"


def alert_expr(slo: SLO, alert: BurnAlert) -> str:
    sel = f'{{slo="{slo.name}"}}'
    threshold = slo.threshold(alert)
    guard = slo.min_events[alert.kind]
    return (
        f"{error_ratio(alert.long)}{sel} > {threshold}\n"
        f"and {error_ratio(alert.short)}{sel} > {threshold}\n"
        f"and {event_rate(alert.long)}{sel} * {seconds(alert.long)} >= {guard}"
    )


def _alert(slo: SLO, alert: BurnAlert, for_override: str | None) -> dict[str, Any]:
    exhaustion_h = seconds(slo.period) / alert.burn / 3600
    # With every request failing, the long window reaches the threshold after this long.
    detection_min = slo.threshold(alert) * seconds(alert.long) / 60
    description = (
        f"{slo.description} The error ratio is above {alert.burn:g}x the budget "
        f"({slo.threshold(alert):g}) over both {alert.long} and {alert.short}, with at least "
        f"{slo.min_events[alert.kind]} events in {alert.long}. Sustained, this burn empties the "
        f"{slo.period} budget in {exhaustion_h:.0f} h; "
        f"{alert.budget_spent(slo.period):.1%} of it is already gone. "
        f"At 100 % errors this fires after {_minutes(detection_min)} + for {alert.for_}; it "
        f"resets within {alert.short} of recovery."
    )
    return {
        "alert": alert.name,
        "expr": alert_expr(slo, alert),
        "for": for_override or alert.for_,
        "labels": {
            "severity": alert.severity,
            "team": slo.team,
            "service": slo.service,
            "slo": slo.name,
            "alert_kind": alert.kind,
        },
        "annotations": {
            "summary": f"{slo.name}: error budget burning at over {alert.burn:g}x "
            f"({alert.long}/{alert.short})",
            "description": description,
            "burn_rate": f"{alert.burn:g}",
            "runbook_url": runbook_url(alert.name),
        },
    }


def rule_groups(slo: SLO, for_override: str | None = None) -> dict[str, Any]:
    """The content of deploy/prometheus/rules/slo-<name>.yml."""
    return {
        "groups": [
            {"name": f"slo-{slo.name}-recording", "rules": _recording(slo)},
            {
                "name": f"slo-{slo.name}-alerts",
                "rules": [_alert(slo, a, for_override) for a in BURN_ALERTS],
            },
        ]
    }
