"""Kubernetes manifests: what the overlays contain, and that the validators reject bad objects
(so a passing `kubernetes` gate means something)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from fixiactl.gates.kubernetes import core_problems, crd_problems, strict_problems
from fixiactl.gates.model import Context
from fixiactl.k8s.crdschema import schemas_from_crd
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
    route = one(objs, "HTTPRoute", "fixia")
    assert route["spec"]["parentRefs"] == [{"name": "fixia", "sectionName": "https"}]
    one(objs, "Gateway", "fixia")
    assert not [o for o in objs if o["kind"] == "Ingress"]
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
    assert one(objs, "ObjectStore", "fixia-backups")["spec"]["retentionPolicy"] == "30d"
    assert one(objs, "Pooler")["spec"]["pgbouncer"]["poolMode"] == "transaction"
    one(objs, "ScheduledBackup")
    one(objs, "StatefulSet", "redis")
    one(objs, "PodMonitor", "fixia")
    assert any(o["kind"] == "PrometheusRule" for o in objs)
    assert {o["metadata"]["name"] for o in objs if o["kind"] == "ExternalSecret"} >= {
        "fixia-secrets"
    }
    assert all(o["metadata"].get("namespace") == "fixia" for o in objs if o["kind"] != "Namespace")


def test_probes_point_at_the_service_contract(rendered: dict[str, list[Obj]]) -> None:
    app = one(rendered["production"], "Rollout")["spec"]["template"]["spec"]["containers"][0]
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["image"] == "ghcr.io/fixia/fixia@sha256:" + "0" * 64  # the release sets it


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


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("Rollout", ["spec", "strategy", "canary"]),
        ("AnalysisTemplate", ["spec", "metrics", 0]),
        ("Cluster", ["spec"]),
        ("Pooler", ["spec", "pgbouncer"]),
        ("ScheduledBackup", ["spec"]),
        ("ObjectStore", ["spec", "configuration"]),
        ("Gateway", ["spec", "listeners", 0]),
        ("HTTPRoute", ["spec", "rules", 0]),
    ],
)
def test_upstream_schemas_refuse_an_unknown_field(
    rendered: dict[str, list[Obj]], kind: str, path: list[str | int]
) -> None:
    """A misspelt field in a custom resource fails here; a real API server would prune it."""
    obj = copy.deepcopy(next(o for o in rendered["production"] if o["kind"] == kind))
    assert strict_problems(ROOT, [obj], "t") == []
    node: Any = obj
    for step in path:
        node = node[step]
    node["misspelt"] = 1
    problems = strict_problems(ROOT, [obj], "t")
    assert any(kind in p and "misspelt" in p for p in problems), problems


def test_cnpg_schema_refuses_an_invalid_retention(rendered: dict[str, list[Obj]]) -> None:
    store = copy.deepcopy(one(rendered["production"], "ObjectStore"))
    store["spec"]["retentionPolicy"] = "thirty days"
    assert any("retentionPolicy" in p for p in strict_problems(ROOT, [store], "t"))


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


def _normalised(target: str) -> str:
    """The path a proxy matches routes against: the query and fragment cut, %XX decoded
    once, slashes merged, dot segments resolved (nginx's ngx_http_parse_complex_uri, Envoy's
    normalize_path with merge_slashes)."""
    path = unquote(target.split("?", 1)[0].split("#", 1)[0])
    parts: list[str] = []
    for segment in re.sub("/+", "/", path).split("/")[1:]:
        if segment == "..":
            parts = parts[:-1]
        elif segment != ".":
            parts.append(segment)
    return "/" + "/".join(parts)


def test_the_http_route_hides_every_spelling_of_metrics(rendered: dict[str, list[Obj]]) -> None:
    """Issue #27, item 2 on Kubernetes: the stack test's tricks against the HTTPRoute. The
    gateway matches the normalised path (as nginx did: decoded once, slashes merged, dot
    segments resolved); a RegularExpression match spans the whole path (Envoy's full match)."""
    rules = one(rendered["production"], "HTTPRoute", "fixia")["spec"]["rules"]
    hide = next(r for r in rules if r.get("name") == "hide-metrics")
    assert not hide.get("backendRefs")  # answered by the gateway, never the app
    paths = [m["path"] for m in hide["matches"]]
    (regex,) = [p["value"] for p in paths if p["type"] == "RegularExpression"]
    assert {"type": "PathPrefix", "value": "/metrics"} in paths
    hidden = re.compile(regex)
    reaching = [t for t in TRICKS if _normalised(t).lower().rstrip("/\x00;x").endswith("/metrics")]
    assert len(reaching) >= 15, reaching
    for target in reaching:
        assert hidden.fullmatch(_normalised(target)), target
    for public in ("/", "/services", "/api/v1/services", "/login", "/healthz"):
        assert not hidden.fullmatch(public), public
    app_rule = next(r for r in rules if r.get("name") == "app")
    assert {b["name"] for b in app_rule["backendRefs"]} == {"fixia-stable", "fixia-canary"}


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


def test_strict_schemas_refuse_unknown_fields_unless_the_crd_preserves_them() -> None:
    crd = {
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "description": "dropped",
                                    "properties": {
                                        "size": {"type": "integer", "nullable": True},
                                        "free": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                            "properties": {"a": {"type": "string"}},
                                        },
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        }
    }
    (schema,) = schemas_from_crd(yaml.safe_dump(crd)).values()
    spec = schema["properties"]["spec"]
    assert spec["additionalProperties"] is False and "description" not in spec
    assert "additionalProperties" not in spec["properties"]["free"]
    assert spec["properties"]["size"]["type"] == ["integer", "null"]
    assert schema["properties"]["kind"] == {"const": "Widget"}
