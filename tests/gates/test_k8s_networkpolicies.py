"""The NetworkPolicies allow what production needs, and still deny the rest (default deny)."""

from __future__ import annotations

import pytest

from tests.gates.k8s import OVERLAYS, Obj, one
from tests.gates.netpol import Endpoint, reaches

OUTSIDE = Endpoint(None)  # MercadoPago, Sentry, the SMTP relay: addresses outside the cluster
DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"})
PROMETHEUS = Endpoint("monitoring", {"app.kubernetes.io/name": "prometheus"})
COLLECTOR = Endpoint("monitoring", {"app.kubernetes.io/name": "opentelemetry-collector"})
OTLP_HTTP = 4318


def ns(objs: list[Obj]) -> str:
    return str(one(objs, "Namespace")["metadata"]["name"])


def pod(objs: list[Obj], kind: str, name: str) -> Endpoint:
    labels = one(objs, kind, name)["spec"]["template"]["metadata"]["labels"]
    return Endpoint(ns(objs), labels)


def cnpg(objs: list[Obj], label: str, value: str) -> Endpoint:
    return Endpoint(ns(objs), {label: value})


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("workload", [("Rollout", "fixia"), ("Deployment", "fixia-worker")])
def test_the_app_and_worker_reach_what_production_needs(
    rendered: dict[str, list[Obj]], overlay: str, workload: tuple[str, str]
) -> None:
    objs = rendered[overlay]
    me = pod(objs, *workload)
    needs = {
        "MercadoPago and Sentry over https": (OUTSIDE, 443, "TCP"),
        "the SMTP relay's submission port": (OUTSIDE, 587, "TCP"),
        "the OTLP collector": (COLLECTOR, OTLP_HTTP, "TCP"),
        "DNS over UDP": (DNS, 53, "UDP"),
        "DNS over TCP": (DNS, 53, "TCP"),
        "the cache": (pod(objs, "StatefulSet", "redis"), 6379, "TCP"),
        "the rate limiter": (pod(objs, "StatefulSet", "redis-limiter"), 6379, "TCP"),
    }
    missing = [
        why for why, (dst, port, proto) in needs.items() if not reaches(objs, me, dst, port, proto)
    ]
    assert missing == [], f"{workload[1]} cannot reach {missing}"
    # Default deny still holds: no plain http out, no database port outside the cluster.
    assert not reaches(objs, me, OUTSIDE, 80)
    assert not reaches(objs, me, OUTSIDE, 5432)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_pooler_resolves_the_database_and_reaches_it(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objs = rendered[overlay]
    pooler = cnpg(objs, "cnpg.io/poolerName", "fixia-pooler-rw")
    db = cnpg(objs, "cnpg.io/cluster", "fixia-db")
    assert reaches(objs, pooler, DNS, 53, "UDP") and reaches(objs, pooler, DNS, 53, "TCP")
    assert reaches(objs, pooler, db, 5432)
    assert reaches(objs, pod(objs, "Rollout", "fixia"), pooler, 5432)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_monitoring_scrapes_every_exporter(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    exporters = {
        "app /metrics": (pod(objs, "Rollout", "fixia"), 8000),
        "worker /metrics": (pod(objs, "Deployment", "fixia-worker"), 9000),
        "redis exporter": (pod(objs, "StatefulSet", "redis"), 9121),
        "limiter exporter": (pod(objs, "StatefulSet", "redis-limiter"), 9121),
        "CloudNativePG instance metrics": (cnpg(objs, "cnpg.io/cluster", "fixia-db"), 9187),
        "CloudNativePG pooler metrics": (cnpg(objs, "cnpg.io/poolerName", "fixia-pooler-rw"), 9127),
    }
    closed = [
        why for why, (dst, port) in exporters.items() if not reaches(objs, PROMETHEUS, dst, port)
    ]
    assert closed == []
    # Only the monitoring namespace: another namespace's pod scrapes nothing.
    stranger = Endpoint("default", {"app.kubernetes.io/name": "prometheus"})
    assert not reaches(objs, stranger, pod(objs, "Rollout", "fixia"), 8000)
    assert not reaches(objs, stranger, cnpg(objs, "cnpg.io/cluster", "fixia-db"), 9187)
