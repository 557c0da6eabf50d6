"""Argo analysis behaves as the single-host deployer: no data never passes (Inconclusive, which
pauses), the canary is compared with the stable pods, every step is analysed, and the
blue-green preview gets traffic before it is judged."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.gates.k8s import Obj, one
from tests.servers import IN_CI


def condition(expr: str, value: float) -> bool:
    """Evaluate an Argo (expr-lang) condition on `result = [value]`: the subset used here."""
    py = expr.replace("&&", " and ").replace("||", " or ").replace("!isNaN", " not isNaN")
    allowed = {"isNaN": math.isnan, "result": [value], "__builtins__": {}}
    return bool(eval(py, allowed))  # noqa: S307 - a condition of our own generated templates


def templates(objs: list[Obj]) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "AnalysisTemplate"}


def prometheus_metrics(template: Obj) -> list[Obj]:
    return [m for m in template["spec"]["metrics"] if "prometheus" in m["provider"]]


def test_no_data_is_inconclusive_never_a_pass(rendered: dict[str, list[Obj]]) -> None:
    for name, template in templates(rendered["production"]).items():
        for metric in prometheus_metrics(template):
            where = f"{name}/{metric['name']}"
            # NaN (no requests, or too few) meets neither condition: Inconclusive.
            assert not condition(metric["successCondition"], math.nan), where
            assert not condition(metric.get("failureCondition", "false"), math.nan), where
            assert metric.get("inconclusiveLimit", 0) <= 3, where
            assert "or on() vector(NaN)" in metric["provider"]["prometheus"]["query"], where
            # A clear verdict either way still comes out.
            assert condition(metric["successCondition"], 0.0), where
            assert condition(metric["failureCondition"], 0.5), where


def test_the_canary_is_compared_with_the_stable_pods(rendered: dict[str, list[Obj]]) -> None:
    objs = rendered["production"]
    for name, template in templates(objs).items():
        for metric in prometheus_metrics(template):
            query = metric["provider"]["prometheus"]["query"]
            assert 'rollouts_pod_template_hash="{{args.canary-hash}}"' in query, name
            assert 'rollouts_pod_template_hash="{{args.stable-hash}}"' in query, name
            # Too few requests on either side is no data (the SLO's ticket minimum).
            assert len(re.findall(r"\* 120 >= \d+", query)) == 2, name
    args = one(objs, "Rollout")["spec"]["strategy"]["canary"]["analysis"]["args"]
    hashes = {a["name"]: a["valueFrom"]["podTemplateHashValue"] for a in args}
    assert hashes == {"canary-hash": "Latest", "stable-hash": "Stable"}


def test_every_canary_step_is_analysed(rendered: dict[str, list[Obj]]) -> None:
    objs = rendered["production"]
    analysis = one(objs, "Rollout")["spec"]["strategy"]["canary"]["analysis"]
    assert analysis.get("startingStep", 0) == 0  # from the first weight on
    (ref,) = analysis["templates"]
    for metric in templates(objs)[ref["templateName"]]["spec"]["metrics"]:
        # A count ends background analysis early: later steps would run unanalysed.
        assert "count" not in metric, metric["name"]


def test_the_blue_green_preview_gets_traffic_before_it_is_judged(
    rendered: dict[str, list[Obj]],
) -> None:
    objs = rendered["production-blue-green"]
    blue_green = one(objs, "Rollout")["spec"]["strategy"]["blueGreen"]
    pre = blue_green["prePromotionAnalysis"]
    (ref,) = pre["templates"]
    template = templates(objs)[ref["templateName"]]
    preview_url = next(a for a in template["spec"]["args"] if a["name"] == "preview-url")
    assert preview_url["value"] == f"http://{blue_green['previewService']}"
    (traffic,) = [m for m in template["spec"]["metrics"] if "job" in m["provider"]]
    pod = traffic["provider"]["job"]["spec"]["template"]["spec"]
    script = pod["containers"][0]["command"][-1]
    assert "urlopen" in script and "/api/v1/services" in script
    judged = prometheus_metrics(template)
    assert judged
    for metric in judged:
        # Judged only once the traffic shows, and the analysis ends (pre-promotion must).
        assert metric["initialDelay"] and metric["count"] >= 3, metric["name"]
    hashes = {a["name"]: a["valueFrom"]["podTemplateHashValue"] for a in pre["args"]}
    assert hashes == {"canary-hash": "Latest", "stable-hash": "Stable"}


@pytest.mark.parametrize("overlay", ["production", "production-blue-green"])
def test_every_template_argument_is_given(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    strategy = one(objs, "Rollout")["spec"]["strategy"]
    blocks = [
        b
        for b in (
            strategy.get("canary", {}).get("analysis"),
            strategy.get("blueGreen", {}).get("prePromotionAnalysis"),
        )
        if b
    ]
    assert blocks
    for block in blocks:
        given = {a["name"] for a in block.get("args", [])}
        for ref in block["templates"]:
            spec = templates(objs)[ref["templateName"]]["spec"]
            needed = {a["name"] for a in spec["args"] if "value" not in a}
            assert needed <= given, ref


def _series(hash_: str, ok_per_min: int, errors_per_min: int) -> list[dict[str, str]]:
    name = 'fixia_http_requests_total{{rollouts_pod_template_hash="{}",route="/x",status="{}"}}'
    return [
        {"series": name.format(hash_, "200"), "values": f"0+{ok_per_min}x10"},
        {"series": name.format(hash_, "500"), "values": f"0+{errors_per_min}x10"},
    ]


# (canary ok/min, canary 5xx/min, stable ok/min, stable 5xx/min) -> the verdict PromQL gives.
SCENARIOS = {
    "canary failing 10 %, stable clean": ((540, 60, 600, 0), "fail"),
    "both failing 10 % (not the canary's fault)": ((540, 60, 540, 60), "pass"),
    "both clean": ((600, 0, 600, 0), "pass"),
    "canary without requests": ((0, 0, 600, 0), "nan"),
    "canary with too few requests": ((1, 1, 600, 0), "nan"),
    "stable without requests": ((600, 0, 0, 0), "nan"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_query_judges_the_canary_against_the_stable_pods(
    rendered: dict[str, list[Obj]], scenario: str, tmp_path: Path
) -> None:
    """The generated PromQL run by promtool on synthetic series (PromQL's own semantics)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if IN_CI:
            pytest.fail("promtool missing: run scripts/install-system-deps --stack")
        pytest.skip("promtool missing: run scripts/install-system-deps --stack")
    (c_ok, c_err, s_ok, s_err), verdict = SCENARIOS[scenario]
    metric = templates(rendered["production"])["slo-api-availability"]["spec"]["metrics"][0]
    query = metric["provider"]["prometheus"]["query"]
    query = query.replace("{{args.canary-hash}}", "c").replace("{{args.stable-hash}}", "s")
    query = query.replace('route!~"/healthz|/readyz|/metrics",', "")
    tolerance = float(metric["successCondition"].rsplit("<=", 1)[1])
    check = {
        "fail": f"({query}) > bool {tolerance}",
        "pass": f"({query}) <= bool {tolerance}",
        "nan": f"({query}) != bool ({query})",  # only NaN differs from itself
    }[verdict]
    tests = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series("c", c_ok, c_err) + _series("s", s_ok, s_err),
                "promql_expr_test": [
                    {
                        "expr": check,
                        "eval_time": "6m",
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "analysis_test.yml"
    path.write_text(yaml.safe_dump(tests, width=10_000))
    proc = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
