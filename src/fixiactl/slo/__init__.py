"""SLOs as code: specs in deploy/slo/*.yaml become Prometheus rules, promtool tests and
dashboard panels. Other generators (Argo AnalysisTemplates, PrometheusRules) reuse
`load_slos()` and the `BurnAlert` table rather than re-reading the YAML."""

from fixiactl.slo.spec import BURN_ALERTS, SLO, WINDOWS, BurnAlert, load_slos

__all__ = ["BURN_ALERTS", "SLO", "WINDOWS", "BurnAlert", "load_slos"]
