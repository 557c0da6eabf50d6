"""promtool unit tests for one SLO's generated rules.

Each burn-rate alert gets: fires at 2 % over its threshold burn, stays silent at 2 % under it
(after its window is full), stays silent on a low-traffic burn that misses the
guard; and the ticket still fires on that low-traffic burn, so a quiet service is not blind.
"""

from __future__ import annotations

from typing import Any

from fixiactl.slo.rules import rule_groups
from fixiactl.slo.spec import BURN_ALERTS, SLO, BurnAlert, seconds

MARGIN = 0.02
TRAFFIC_PER_MIN = 1000.0


def _num(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _series(slo: SLO, per_min: float, ratio: float, minutes: int) -> list[dict[str, str]]:
    bad = per_min * ratio
    inc = {"good": per_min - bad, "bad": bad, "total": per_min}
    return [
        {"series": name, "values": f"0+{_num(inc[role])}x{minutes}"}
        for name, role in slo.test_series.items()
    ]


def _expected(slo: SLO, alert: BurnAlert) -> dict[str, Any]:
    rule = next(r for r in rule_groups(slo)["groups"][1]["rules"] if r["alert"] == alert.name)
    return {"exp_labels": dict(rule["labels"]), "exp_annotations": dict(rule["annotations"])}


def _case(
    slo: SLO,
    alert: BurnAlert,
    *,
    ratio: float,
    per_min: float,
    fires: bool,
    checks: list[BurnAlert],
) -> dict[str, Any]:
    # The window full, then the `for:` duration, then a margin. Pages wait for their long
    # window; the ticket only for its short one (6 h): a constant burn gives the 3 d ratio
    # exactly from partial data, and 3 d of one-minute samples would make promtool crawl.
    window = alert.long if alert.kind == "page" else alert.short
    minutes = (seconds(window) + seconds(alert.for_)) // 60 + 10
    return {
        "interval": "1m",
        "input_series": _series(slo, per_min, min(ratio, 1.0), minutes),
        "alert_rule_test": [
            {
                "eval_time": f"{minutes}m",
                "alertname": a.name,
                "exp_alerts": [_expected(slo, a)] if fires and a == alert else [],
            }
            for a in checks
        ],
    }


def _cases(slo: SLO, alert: BurnAlert) -> list[dict[str, Any]]:
    threshold = slo.threshold(alert)
    cases = [
        _case(
            slo,
            alert,
            ratio=threshold * (1 + MARGIN),
            per_min=TRAFFIC_PER_MIN,
            fires=True,
            checks=[alert],
        ),
        _case(
            slo,
            alert,
            ratio=threshold * (1 - MARGIN),
            per_min=TRAFFIC_PER_MIN,
            fires=False,
            checks=[alert],
        ),
    ]
    if alert.kind == "page":
        # Half the guard's events in the long window, burning 10x past the threshold.
        low = slo.min_events["page"] / (seconds(alert.long) / 60) / 2
        cases.append(
            _case(slo, alert, ratio=threshold * 10, per_min=low, fires=False, checks=[alert])
        )
    else:
        # The busiest traffic that still misses the fast page's guard.
        fast = BURN_ALERTS[0]
        low = slo.min_events["page"] / (seconds(fast.long) / 60) / 2
        cases.append(
            _case(
                slo,
                alert,
                ratio=min(1.0, slo.threshold(fast) * 10),
                per_min=low,
                fires=True,
                checks=[alert, fast],
            )
        )
    return cases


def promtool_tests(slo: SLO) -> dict[str, Any]:
    """The content of deploy/prometheus/tests/slo-<name>_test.yml."""
    return {
        "rule_files": [f"../rules/slo-{slo.name}.yml"],
        "evaluation_interval": "1m",
        "tests": [case for alert in BURN_ALERTS for case in _cases(slo, alert)],
    }
