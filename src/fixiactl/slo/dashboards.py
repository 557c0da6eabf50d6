"""Grafana dashboards as code (grafana-foundation-sdk, pinned): Executive, Operations,
Development, Security. `fixiactl slo generate` writes them to deploy/grafana/<uid>.json."""

from __future__ import annotations

import json
import warnings
from typing import Any

# The SDK deprecates the classic dashboard schema in favour of v2, but file provisioning and
# every Grafana before 12 read the classic JSON: keep it and silence that one warning.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import dashboard as gdash
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

from fixiactl.slo.panels import graph, single
from fixiactl.slo.rows import backups, patroni, queue
from fixiactl.slo.spec import SLO

APP = 'route!~"/healthz|/readyz|/metrics"'
FS = 'fstype!~"tmpfs|overlay"'
DENIED = 'status=~"401|403|429"'


def _board(uid: str, title: str, rows: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    board = (
        gdash.Dashboard(title)
        .uid(uid)
        .tags(["fixia", "generated"])
        .timezone("America/Argentina/Catamarca")
        .time("now-6h", "now")
        .refresh("30s")
    )
    for row_title, panels in rows:
        board = board.with_row(gdash.Row(row_title))
        for panel in panels:
            board = board.with_panel(panel)
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return data


def executive(slos: list[SLO]) -> dict[str, Any]:
    slo_panels = [
        single(
            f"{s.name}: budget left ({s.period})",
            [(f'slo:error_budget_remaining:ratio{{slo="{s.name}"}}', s.name)],
            "percentunit",
            8,
        )
        for s in slos
    ]
    slo_panels.append(
        graph(
            "SLI error ratio (1h) per SLO",
            [
                ("slo:sli_error:ratio_rate1h", "{{slo}}"),
                ("1 - slo:objective:ratio", "budget {{slo}}"),
            ],
            "percentunit",
            24,
        )
    )
    business = [
        graph(
            "Registrations",
            [("sum by (result) (increase(fixia_registrations_total[1h]))", "{{result}}")],
        ),
        graph(
            "Marketplace activity (per hour)",
            [
                ("sum(increase(fixia_projects_created_total[1h]))", "projects"),
                ("sum(increase(fixia_proposals_created_total[1h]))", "proposals"),
                ("sum(increase(fixia_matches_created_total[1h]))", "matches"),
                ("sum(increase(fixia_jobs_completed_total[1h]))", "jobs completed"),
                ("sum(increase(fixia_reviews_created_total[1h]))", "reviews"),
            ],
        ),
        graph(
            "Payments by status (per hour)",
            [("sum by (status) (increase(fixia_payments_total[1h]))", "{{status}}")],
        ),
        graph(
            "Revenue approved (ARS, per day)",
            [('sum(increase(fixia_payment_amount_ars_total{status="approved"}[1d]))', "ARS")],
            "currencyARS",
        ),
        graph(
            "Subscription activations (per day)",
            [("sum by (plan) (increase(fixia_subscription_activations_total[1d]))", "{{plan}}")],
        ),
    ]
    return _board(
        "fixia-executive",
        "Fixia / Executive",
        [("Service levels", slo_panels), ("Business", business)],
    )


def _red() -> list[Any]:
    return [
        graph(
            "Requests per route",
            [(f"sum by (route) (rate(fixia_http_requests_total{{{APP}}}[5m]))", "{{route}}")],
            "reqps",
        ),
        graph(
            "Errors (5xx share) per route",
            [
                (
                    f'sum by (route) (rate(fixia_http_requests_total{{{APP},status=~"5.."}}[5m]))'
                    f" / sum by (route) (rate(fixia_http_requests_total{{{APP}}}[5m]))",
                    "{{route}}",
                )
            ],
            "percentunit",
        ),
        graph(
            "p95 latency per route",
            [
                (
                    "histogram_quantile(0.95, sum by (route, le) "
                    f"(rate(fixia_http_request_duration_seconds_bucket{{{APP}}}[5m])))",
                    "{{route}}",
                )
            ],
            "s",
        ),
        graph(
            "In-flight requests",
            [("sum by (instance) (fixia_http_requests_in_flight)", "{{instance}}")],
        ),
    ]


def _saturation() -> list[Any]:
    return [
        graph(
            "CPU busy",
            [('1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))', "cpu")],
            "percentunit",
        ),
        graph(
            "Memory available",
            [("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "available")],
            "percentunit",
        ),
        graph(
            "Disk free",
            [
                (
                    f"node_filesystem_avail_bytes{{{FS}}} / node_filesystem_size_bytes{{{FS}}}",
                    "{{mountpoint}}",
                )
            ],
            "percentunit",
        ),
        graph(
            "App DB pool in use",
            [
                (
                    'sum by (instance) (fixia_db_pool_connections{state="in_use"})'
                    " / sum by (instance) (fixia_db_pool_size)",
                    "{{instance}}",
                )
            ],
            "percentunit",
        ),
    ]


def _datastores() -> list[Any]:
    return [
        graph(
            "PostgreSQL connections",
            [
                ("sum(pg_stat_database_numbackends)", "in use"),
                ("max(pg_settings_max_connections)", "max"),
            ],
        ),
        graph(
            "WAL archiver",
            [
                ("pg_stat_archiver_last_archive_age", "seconds since last archive"),
                ("pg_stat_archiver_failed_count", "failures"),
            ],
        ),
        graph(
            "PgBouncer pools",
            [
                ("sum(fixia_pgbouncer_pool_server_active)", "server active"),
                ("sum(fixia_pgbouncer_pool_client_waiting)", "clients waiting"),
                ("max(fixia_pgbouncer_pool_size)", "pool size"),
            ],
        ),
        graph(
            "Redis",
            [
                ("redis_connected_clients", "clients"),
                ("rate(redis_keyspace_hits_total[5m])", "hits/s"),
                ("rate(redis_keyspace_misses_total[5m])", "misses/s"),
            ],
        ),
        graph(
            "App cache",
            [
                (
                    "sum by (cache, result) (rate(fixia_cache_requests_total[5m]))",
                    "{{cache}} {{result}}",
                )
            ],
            "reqps",
        ),
        graph(
            "Circuit breakers (0 closed, 2 open)",
            [("max by (name) (fixia_circuit_breaker_state)", "{{name}}")],
        ),
    ]


def _haproxy() -> list[Any]:
    return [
        graph(
            "HAProxy responses by class",
            [
                (
                    'sum by (code) (rate(haproxy_backend_http_responses_total{proxy="be_app"}[5m]))',  # noqa: E501
                    "{{code}}",
                )
            ],
            "reqps",
        ),
        graph(
            "HAProxy sessions per slot",
            [('haproxy_server_current_sessions{proxy="be_app"}', "{{server}}")],
        ),
        graph("HAProxy queue", [('haproxy_backend_current_queue{proxy="be_app"}', "queued")]),
        graph(
            "Slot up (HAProxy check)",
            [('haproxy_server_status{proxy="be_app",state="UP"}', "{{server}}")],
        ),
    ]


def operations() -> dict[str, Any]:
    rows = [
        ("RED per route", _red()),
        ("Saturation", _saturation()),
        ("Datastores", _datastores()),
        ("HAProxy", _haproxy()),
        ("Job queue", queue()),
        ("Backups and DR", backups()),
        ("PostgreSQL HA (Patroni)", patroni()),
    ]
    return _board("fixia-operations", "Fixia / Operations", rows)


def development() -> dict[str, Any]:
    deploys = [
        graph(
            "Deploys",
            [
                (
                    "sum by (env, strategy, result) (increase(fixia_deploys_total[1d]))",
                    "{{env}} {{strategy}} {{result}}",
                )
            ],
        ),
        graph("Rollbacks", [("sum by (env) (increase(fixia_rollbacks_total[1d]))", "{{env}}")]),
        graph(
            "Canary verdicts",
            [("sum by (verdict) (increase(fixia_canary_verdicts_total[1d]))", "{{verdict}}")],
        ),
        graph(
            "Running build",
            [
                (
                    "max by (version, git_sha, slot) (fixia_build_info)",
                    "{{slot}} {{version}} {{git_sha}}",
                )
            ],
        ),
        graph(
            "Flag evaluations",
            [
                (
                    "sum by (flag, variant) (rate(fixia_feature_flag_evaluations_total[5m]))",
                    "{{flag}}={{variant}}",
                )
            ],
        ),
        single(
            "Last deploy",
            [("max by (env) (fixia_deploy_last_timestamp_seconds) * 1000", "{{env}}")],
            "dateTimeFromNow",
        ),
    ]
    dora = [
        single(
            "Deployment frequency",
            [("fixia_dora_deployment_frequency_per_day", "{{env}}")],
            "short",
        ),
        single("Lead time for changes", [("fixia_dora_lead_time_seconds", "{{env}}")], "s"),
        single(
            "Change failure rate", [("fixia_dora_change_failure_rate", "{{env}}")], "percentunit"
        ),
        single("Time to restore", [("fixia_dora_time_to_restore_seconds", "{{env}}")], "s"),
    ]
    return _board(
        "fixia-development", "Fixia / Development", [("Delivery", deploys), ("DORA", dora)]
    )


def security() -> dict[str, Any]:
    panels = [
        graph(
            "Logins by result",
            [("sum by (result) (rate(fixia_logins_total[5m]))", "{{result}}")],
            "reqps",
        ),
        graph(
            "Lockouts (per hour)",
            [('sum(increase(fixia_logins_total{result="locked"}[1h]))', "locked")],
        ),
        graph(
            "401 / 403 / 429 rates",
            [
                (
                    f"sum by (status) (rate(fixia_http_requests_total{{{APP},{DENIED}}}[5m]))",
                    "{{status}}",
                )
            ],
            "reqps",
        ),
        graph(
            "Rate-limit rejections",
            [("sum by (rule) (rate(fixia_ratelimit_rejections_total[5m]))", "{{rule}}")],
            "reqps",
        ),
        graph(
            "Webhook signature failures",
            [
                (
                    "sum by (provider) (increase(fixia_webhook_signature_failures_total[1h]))",
                    "{{provider}}",
                )
            ],
        ),
        graph(
            "Registrations failed",
            [('sum(rate(fixia_registrations_total{result="failed"}[5m]))', "failed")],
            "reqps",
        ),
    ]
    return _board("fixia-security", "Fixia / Security", [("Authentication and abuse", panels)])


def all_dashboards(slos: list[SLO]) -> dict[str, dict[str, Any]]:
    boards = [executive(slos), operations(), development(), security()]
    return {b["uid"]: b for b in boards}


def queries(board: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard (the integrity check reads them)."""
    found = []
    for panel in board.get("panels", []):
        for target in panel.get("targets", []) or []:
            if target.get("expr"):
                found.append(str(target["expr"]))
        found.extend(queries(panel) if panel.get("panels") else [])
    return found
