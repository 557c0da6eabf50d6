"""Integrity check: every metric an alert rule, recording rule or dashboard names must be
produced by something: a live scrape target, a recording rule, or a fixiactl textfile writer.

The original Fixia shipped alert rules on series nothing emitted; this makes that a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from fixiactl.stack.config import DEPLOY, ROOT

KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "atan2", "start", "end",
}  # fmt: skip
# Series Prometheus itself synthesises, for every target or rule.
SYNTHETIC = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds",
             "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
             "scrape_series_added"}  # fmt: skip
# Patroni's own series: scraped only on an HA stack (stack up --ha); tests/chaos/test_ha.py
# checks that the members' /metrics expose every one of them.
HA_ONLY = {"patroni_cluster_unlocked", "patroni_primary", "patroni_replica",
           "patroni_sync_standby", "patroni_xlog_location",
           "patroni_xlog_replayed_location"}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)")
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels stripped)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end() :].lstrip()
        name = match.group(1)
        if rest.startswith("(") or name in KEYWORDS:
            continue
        names.add(name)
    return names


def exposed_names(text: str) -> set[str]:
    """Series names in Prometheus text exposition: samples plus the names # TYPE implies."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                base, kind = parts[2], parts[3]
                names.add(base)
                names.update(base + s for s in _SUFFIXES.get(kind, ()))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


@dataclass
class References:
    used: dict[str, set[str]] = field(default_factory=dict)  # metric -> where
    recorded: set[str] = field(default_factory=set)

    def add(self, expr: str, where: str) -> None:
        for name in metric_names(expr):
            self.used.setdefault(name, set()).add(where)


def references(rule_files: Iterable[Path], dashboards: Iterable[Path]) -> References:
    refs = References()
    for path in rule_files:
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "record" in rule:
                    refs.recorded.add(rule["record"])
                refs.add(str(rule["expr"]), f"{path.name}:{rule.get('alert', rule.get('record'))}")
    for path in dashboards:
        board = json.loads(path.read_text())
        from fixiactl.slo.dashboards import queries

        for expr in queries(board):
            refs.add(expr, path.name)
    return refs


def default_references() -> References:
    return references(
        sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")),
        sorted((DEPLOY / "grafana").glob("*.json")),
    )


def textfile_writers(source: Path = ROOT / "src" / "fixiactl") -> set[str]:
    """Metric names fixiactl writes as textfiles (backup, delivery, PgBouncer collector):
    produced only when those commands run, so found in their source instead of a scrape."""
    names: set[str] = set()
    skip = {"slo", "integrity.py"}
    for path in source.rglob("*.py"):
        if skip & set(path.relative_to(source).parts):
            continue
        text = path.read_text()
        if "textfile" in text:
            names.update(re.findall(r"\bfixia_[a-z0-9_]+", text))
            # prometheus_client exposes a Counter named "x" as x_total.
            names.update(
                f"{n}_total" for n in re.findall(r'Counter\(\s*"(fixia_[a-z0-9_]+)"', text)
            )
    return names


def scrape_all(prometheus_url: str, timeout_s: float = 5.0) -> tuple[set[str], list[str]]:
    """Every series name from every active target Prometheus knows; and the targets that
    could not be scraped (e.g. a stopped slot)."""
    data = httpx.get(f"{prometheus_url}/api/v1/targets", timeout=timeout_s).json()
    names: set[str] = set()
    failed = []
    for target in data["data"]["activeTargets"]:
        url = target["scrapeUrl"]
        try:
            response = httpx.get(url, timeout=timeout_s)
            response.raise_for_status()
        except httpx.HTTPError:
            failed.append(url)
            continue
        names |= exposed_names(response.text)
    return names, failed


def dangling(refs: References, produced: set[str]) -> dict[str, set[str]]:
    """Referenced metrics that nothing produces, with where each is referenced."""
    known = produced | refs.recorded | SYNTHETIC | HA_ONLY
    return {m: where for m, where in sorted(refs.used.items()) if m not in known}
