"""The integrity checker, the PgBouncer collector's output and the receiver's parsing, on
synthetic inputs."""

from __future__ import annotations

import json
from pathlib import Path

from fixiactl.monitoring import integrity, pgbouncer, receiver


def test_metric_names_skip_functions_keywords_labels_and_ranges() -> None:
    expr = (
        'sum by (route) (rate(fixia_http_requests_total{status=~"5..",route!="x"}[5m]))'
        ' / on (route) group_left sum without (le) (foo_bucket{le="0.2"} offset 1h)'
        ' and hour(vector(time() - 10800)) >= 9 or absent(up{job="a"} == 1)'
        ' unless label_replace(w > 0, "slot", "$1", "server", "(.*)") * 1e3'
    )
    assert integrity.metric_names(expr) == {"fixia_http_requests_total", "foo_bucket", "up", "w"}


def test_exposed_names_understand_type_lines_and_suffixes() -> None:
    text = (
        "# HELP a_total A.\n# TYPE a counter\na_total 1\n"
        '# TYPE h histogram\nh_bucket{le="0.2"} 1\n'
        "# TYPE g gauge\n"
        'plain{x="1"} 3\n'
    )
    names = integrity.exposed_names(text)
    assert {"a", "a_total", "h_bucket", "h_sum", "h_count", "g", "plain"} <= names
    assert "h_total" not in names


def test_dangling_counts_recording_rules_and_synthetic_series(tmp_path: Path) -> None:
    rules = tmp_path / "r.yml"
    rules.write_text(
        "groups:\n- name: g\n  rules:\n"
        "  - record: job:x:rate5m\n    expr: rate(x_total[5m])\n"
        "  - alert: A\n    expr: job:x:rate5m > 1 and up == 1 and missing_metric > 0\n"
    )
    board = tmp_path / "d.json"
    board.write_text(json.dumps({"panels": [{"targets": [{"expr": "rate(y_total[1m])"}]}]}))
    refs = integrity.references([rules], [board])
    assert integrity.dangling(refs, {"x_total"}) == {
        "missing_metric": {"r.yml:A"},
        "y_total": {"d.json"},
    }
    assert integrity.dangling(refs, {"x_total", "y_total", "missing_metric"}) == {}


def test_the_committed_rules_and_dashboards_have_references() -> None:
    refs = integrity.default_references()
    assert "fixia_http_requests_total" in refs.used
    assert "slo:sli_error:ratio_rate1h" in refs.recorded
    # The PgBouncer collector counts as a producer of its textfile metrics.
    assert "fixia_pgbouncer_pool_client_waiting" in integrity.textfile_writers()


def test_pgbouncer_textfile_from_show_pools() -> None:
    pools = [
        {"database": "fixia", "user": "fixia", "cl_active": "3", "cl_waiting": "2",
         "sv_active": "10", "sv_idle": "0", "maxwait": "1"},
        {"database": "pgbouncer", "user": "pgbouncer", "cl_active": "1", "cl_waiting": "0",
         "sv_active": "0", "sv_idle": "0", "maxwait": "0"},
    ]  # fmt: skip
    text = pgbouncer.render(
        pools, [{"name": "fixia", "pool_size": "10"}, {"name": "pgbouncer", "pool_size": "2"}]
    )
    assert 'fixia_pgbouncer_pool_client_waiting{database="fixia",user="fixia"} 2' in text
    assert 'fixia_pgbouncer_pool_size{database="fixia"} 10' in text
    assert 'pgbouncer"' not in text.replace('database="fixia"', "")
    assert "fixia_pgbouncer_pool_server_active" in integrity.exposed_names(text)


def test_receiver_reads_alert_names_from_each_fake_vendor(tmp_path: Path) -> None:
    out = tmp_path / "received.jsonl"
    named = {"alertname": "NP"}
    entries = [
        {"path": "/slack", "body": {"attachments": [{"title": "[FIRING:1] InstanceDown"}]}},
        {"path": "/slack", "body": {"attachments": [{"title": "[RESOLVED] Gone x"}]}},
        {"path": "/email", "body": {"alerts": [{"status": "firing", "labels": named}]}},
    ]  # fmt: skip
    out.write_text("".join(json.dumps({"time": 0, **e}) + "\n" for e in entries))
    assert receiver.alert_names(out) == {"InstanceDown", "NP"}
