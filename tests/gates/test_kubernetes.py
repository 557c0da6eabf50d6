"""Kubernetes manifests: what the overlays contain, and that the validators reject bad objects
(so a passing `kubernetes` gate means something)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from fixiactl.gates.model import Context
from fixiactl.k8s.validate import cnpg_problems, core_problems, crd_problems
from fixiactl.stack.config import ROOT
from tests.gates.k8s import Obj, one, pod_specs
from tests.integration.test_metrics_exposure_stack import TRICKS


def test_production_has_every_piece_of_the_topology(rendered: dict[str, list[Obj]]) -> None:
    objs = rendered["production"]
    rollout = one(objs, "Rollout", "fixia")
    canary = rollout["spec"]["strategy"]["canary"]
    assert [s["setWeight"] for s in canary["steps"] if "setWeight" in s] == [5, 25, 50, 100]
    assert canary["analysis"]["templates"] == [{"templateName": "slo-all"}]
    assert {canary["stableService"], canary["canaryService"]} == {"fixia-stable", "fixia-canary"}
    one(objs, "Service", "fixia-stable")
    one(objs, "Service", "fixia-canary")
    assert one(objs, "Ingress", "fixia")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    hpa = one(objs, "HorizontalPodAutoscaler", "fixia")
    assert {m["type"] for m in hpa["spec"]["metrics"]} == {"Resource", "Pods"}
    assert hpa["spec"]["minReplicas"] == 4  # the production patch applied
    one(objs, "PodDisruptionBudget", "fixia")
    deny = one(objs, "NetworkPolicy", "default-deny")
    assert deny["spec"]["podSelector"] == {} and set(deny["spec"]["policyTypes"]) == {
        "Ingress",
        "Egress",
    }
    assert one(objs, "ServiceAccount", "fixia")["automountServiceAccountToken"] is False
    cluster = one(objs, "Cluster", "fixia-db")
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["backup"]["retentionPolicy"] == "30d"
    assert one(objs, "Pooler")["spec"]["pgbouncer"]["poolMode"] == "transaction"
    one(objs, "ScheduledBackup")
    one(objs, "StatefulSet", "redis")
    one(objs, "ServiceMonitor", "fixia")
    assert any(o["kind"] == "PrometheusRule" for o in objs)
    assert {o["metadata"]["name"] for o in objs if o["kind"] == "ExternalSecret"} >= {
        "fixia-secrets"
    }
    assert all(o["metadata"].get("namespace") == "fixia" for o in objs if o["kind"] != "Namespace")


def test_probes_point_at_the_service_contract(rendered: dict[str, list[Obj]]) -> None:
    app = one(rendered["production"], "Rollout")["spec"]["template"]["spec"]["containers"][0]
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["image"] == "ghcr.io/fixia/fixia:stable"


@pytest.mark.parametrize("overlay", ["staging", "production", "production-blue-green"])
def test_every_pod_runs_restricted(rendered: dict[str, list[Obj]], overlay: str) -> None:
    for name, spec in pod_specs(rendered[overlay]):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert "limits" in c["resources"], name


def test_blue_green_variant_replaces_the_canary(rendered: dict[str, list[Obj]]) -> None:
    strategy = one(rendered["production-blue-green"], "Rollout")["spec"]["strategy"]
    assert set(strategy) == {"blueGreen"}
    assert strategy["blueGreen"]["previewService"] == "fixia-preview"
    assert (
        strategy["blueGreen"]["prePromotionAnalysis"]["templates"][0]["templateName"]
        == "slo-preview"
    )


def test_core_validator_rejects_an_unknown_field(tmp_path: Path) -> None:
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": 1}}
    problems = core_problems(Context(work=tmp_path), [bad], "t")
    assert problems and "portz" in problems[0]


def test_crd_validator_rejects_a_wrong_type(rendered: dict[str, list[Obj]]) -> None:
    rollout = copy.deepcopy(one(rendered["production"], "Rollout"))
    rollout["spec"]["strategy"]["canary"]["steps"][0]["setWeight"] = "five"
    problems = crd_problems(Context(), [rollout], "t")
    assert any("setWeight" in p and "integer" in p for p in problems), problems


def test_crd_validator_refuses_a_kind_it_has_no_schema_for() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert any("no schema package" in p for p in crd_problems(Context(), [obj], "t"))


def test_cnpg_objects_are_checked_against_the_upstream_api(rendered: dict[str, list[Obj]]) -> None:
    pooler = copy.deepcopy(one(rendered["production"], "Pooler"))
    pooler["spec"]["pgbouncer"]["poolMode"] = "statement-ish"
    cluster = copy.deepcopy(one(rendered["production"], "Cluster"))
    cluster["spec"]["instances"] = "three"
    problems = crd_problems(Context(), [pooler, cluster], "t")
    assert any("Pooler" in p and "poolMode" in p for p in problems), problems
    assert any("Cluster" in p and "instances" in p and "integer" in p for p in problems), problems
    assert crd_problems(Context(), [one(rendered["production"], "Cluster")], "t") == []


def test_cnpg_schema_rejects_unknown_and_invalid_fields(rendered: dict[str, list[Obj]]) -> None:
    cluster = copy.deepcopy(one(rendered["production"], "Cluster"))
    cluster["spec"]["instancez"] = 3
    cluster["spec"]["backup"]["retentionPolicy"] = "thirty days"
    problems = cnpg_problems(ROOT, [cluster], "t")
    assert any("instancez" in p for p in problems)
    assert any("retentionPolicy" in p for p in problems)


def test_staging_renders_into_its_own_namespace(rendered: dict[str, list[Obj]]) -> None:
    """Kustomize renames the Namespace object with the overlay's namespace; the old hand-written
    renderer left it `fixia`, so staging would have created the production namespace."""
    objs = rendered["staging"]
    assert one(objs, "Namespace")["metadata"]["name"] == "fixia-staging"
    assert {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"} == {
        "fixia-staging"
    }


def test_the_queue_worker_runs_the_release_image_beside_the_app(
    rendered: dict[str, list[Obj]],
) -> None:
    """`fixia worker` as a Deployment: retagged with the app (a release's worker runs its
    code), health and metrics on its port, straight to PostgreSQL for LISTEN/NOTIFY."""
    objs = rendered["production"]
    worker = one(objs, "Deployment", "fixia-worker")["spec"]["template"]["spec"]
    (container,) = worker["containers"]
    assert container["command"][:2] == ["fixia", "worker"]
    assert (
        container["image"]
        == one(objs, "Rollout")["spec"]["template"]["spec"]["containers"][0]["image"]
    )
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert worker["terminationGracePeriodSeconds"] > 25  # the jobs' shutdown grace
    one(objs, "ServiceMonitor", "fixia-worker")
    secret = one(objs, "ExternalSecret", "fixia-secrets")
    assert "FIXIA_QUEUE__DATABASE_URL" in {d["secretKey"] for d in secret["spec"]["data"]}
    postgres_from = one(objs, "NetworkPolicy", "postgres")["spec"]["ingress"][0]["from"]
    assert {"app.kubernetes.io/name": "fixia-worker"} in [
        p.get("podSelector", {}).get("matchLabels") for p in postgres_from
    ]


def _nginx_normalised(target: str) -> str:
    """The URI nginx matches locations against: the query and fragment cut, %XX decoded
    once, slashes merged, dot segments resolved (ngx_http_parse_complex_uri)."""
    path = unquote(target.split("?", 1)[0].split("#", 1)[0])
    parts: list[str] = []
    for segment in re.sub("/+", "/", path).split("/")[1:]:
        if segment == "..":
            parts = parts[:-1]
        elif segment != ".":
            parts.append(segment)
    return "/" + "/".join(parts)


def test_the_ingress_hides_every_spelling_of_metrics(rendered: dict[str, list[Obj]]) -> None:
    """Issue #27, item 2 on Kubernetes: the stack test's tricks against the ingress rule."""
    snippet = one(rendered["production"], "Ingress", "fixia")["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/server-snippet"
    ]
    found = re.search(r"location ~\* (\S+) \{ return 404; \}", snippet)
    assert found, snippet
    hidden = re.compile(found.group(1), re.IGNORECASE)
    # Every trick that nginx would hand the app as some spelling of /metrics is refused.
    reaching = [
        t for t in TRICKS if _nginx_normalised(t).lower().rstrip("/\x00;x").endswith("/metrics")
    ]
    assert len(reaching) >= 15, reaching
    for target in reaching:
        assert hidden.search(_nginx_normalised(target)), target
    for public in ("/", "/services", "/api/v1/services", "/login", "/healthz"):
        assert not hidden.search(public), public


def test_redis_is_split_locked_and_scraped(rendered: dict[str, list[Obj]]) -> None:
    """Issue #27, 10d on Kubernetes: two instances behind the password (never in argv), the
    limiter never evicts, the app gets both URLs from the secret, both are scraped."""
    objs = rendered["production"]
    for name, policy in (("redis", "allkeys-lru"), ("redis-limiter", "noeviction")):
        pod = one(objs, "StatefulSet", name)["spec"]["template"]["spec"]
        server, exporter = pod["containers"]
        command = " ".join(server["command"] + server["args"])
        assert f"--maxmemory-policy {policy}" in command and "--requirepass" not in command
        for container in (server, exporter):
            refs = [e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e]
            assert refs == [{"name": "fixia-redis", "key": "password"}], name
        one(objs, "Service", name)
    secret_keys = {
        d["secretKey"] for d in one(objs, "ExternalSecret", "fixia-secrets")["spec"]["data"]
    }
    assert {"FIXIA_REDIS_URL", "FIXIA_RATELIMIT__REDIS_URL"} <= secret_keys
    assert "FIXIA_REDIS_URL" not in one(objs, "ConfigMap", "fixia-config")["data"]
    one(objs, "ServiceMonitor", "redis")


def test_the_cli_starts_without_the_dev_only_schema_validator() -> None:
    """jsonschema is a dev dependency: importing the CLI must not need it."""
    code = "import sys, fixiactl.cli; sys.exit('jsonschema' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
