"""One source: Argo analysis templates come from deploy/slo, PrometheusRules from the rule
files; a committed artifact that differs from what the sources generate fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from fixiactl.errors import FixiactlError
from fixiactl.k8s import generate
from fixiactl.k8s.slo import load_slos
from fixiactl.stack.config import ROOT


def test_committed_artifacts_are_fresh() -> None:
    assert generate.stale_artifacts(ROOT) == [], "run: fixiactl k8s generate"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for rel in ("deploy/slo", "deploy/prometheus/rules"):
        shutil.copytree(ROOT / rel, tmp_path / rel)
    generate.write(tmp_path)
    return tmp_path


def test_changing_an_slo_makes_the_templates_stale(repo: Path) -> None:
    assert generate.stale_artifacts(repo) == []
    spec = repo / "deploy/slo/api-availability.yaml"
    assert "objective: 0.999" in spec.read_text()
    spec.write_text(spec.read_text().replace("objective: 0.999", "objective: 0.995"))
    assert generate.stale_artifacts(repo) == [str(generate.GENERATED / "analysis-templates.yaml")]


def test_changing_a_rule_file_makes_the_prometheus_rules_stale(repo: Path) -> None:
    extra = {"groups": [{"name": "x", "rules": [{"record": "x:y", "expr": "vector(1)"}]}]}
    (repo / "deploy/prometheus/rules/extra.yml").write_text(yaml.safe_dump(extra))
    assert generate.stale_artifacts(repo) == [str(generate.GENERATED / "prometheus-rules.yaml")]
    generate.write(repo)
    rules = list(
        yaml.safe_load_all((repo / generate.GENERATED / "prometheus-rules.yaml").read_text())
    )
    assert {r["metadata"]["name"] for r in rules} >= {"fixia-extra", "fixia-deploys"}
    assert next(r for r in rules if r["metadata"]["name"] == "fixia-extra")["spec"] == extra


def test_threshold_is_the_error_budget_times_the_fast_burn_rate() -> None:
    templates = generate.analysis_templates(load_slos(ROOT / "deploy" / "slo"))
    by_name = {t["metadata"]["name"]: t for t in templates}
    metric = by_name["slo-api-availability"]["spec"]["metrics"][0]
    # 0.1 % x 14.4 above the stable pods' ratio (or the budget, if higher).
    assert metric["successCondition"] == "!isNaN(result[0]) && result[0] <= 0.0144"
    assert metric["failureCondition"] == "!isNaN(result[0]) && result[0] > 0.0144"
    query = metric["provider"]["prometheus"]["query"]
    assert 'rollouts_pod_template_hash="{{args.canary-hash}}"' in query
    assert "clamp_min(" in query and ", 0.001)" in query
    assert "{{window}}" not in query and "{{selector}}" not in query
    assert len(by_name["slo-all"]["spec"]["metrics"]) == len(templates) - 2


def test_a_malformed_slo_is_a_readable_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: x\nservice: s\nteam: t\ndescription: d\nobjective: 1.5\n"
        "sli:\n  errors: a[$window]\n  total: b[$window]\nmin_events: {page: 1, ticket: 1}\n"
    )
    with pytest.raises(FixiactlError, match="objective"):
        load_slos(tmp_path)
    (tmp_path / "bad.yaml").write_text("name: x\n")
    with pytest.raises(FixiactlError, match="invalid SLO spec"):
        load_slos(tmp_path)
