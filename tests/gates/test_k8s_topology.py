"""Images by digest, app pods spread across zones and nodes, each pod scraped once, backups
through the Barman Cloud Plugin."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.gates.k8s import OVERLAYS, Obj, one, pod_specs
from tests.gates.netpol import selects

DIGEST = re.compile(r"^[a-z0-9.\-/:_]+@sha256:[0-9a-f]{64}$")


def images(objs: list[Obj]) -> Iterator[tuple[str, str]]:
    for owner, spec in pod_specs(objs):
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            yield owner, c["image"]
    for o in objs:
        if o["kind"] == "Cluster":
            yield o["metadata"]["name"], o["spec"]["imageName"]
        if o["kind"] == "AnalysisTemplate":
            for m in o["spec"]["metrics"]:
                job = m["provider"].get("job")
                if job:
                    for c in job["spec"]["template"]["spec"]["containers"]:
                        yield f"{o['metadata']['name']}/{m['name']}", c["image"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_pinned_by_digest(rendered: dict[str, list[Obj]], overlay: str) -> None:
    found = list(images(rendered[overlay]))
    assert len(found) >= 8
    mutable = [(owner, image) for owner, image in found if not DIGEST.match(image)]
    assert mutable == []


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize(
    ("kind", "name", "hash_key"),
    [
        ("Rollout", "fixia", "rollouts-pod-template-hash"),
        ("Deployment", "fixia-worker", "pod-template-hash"),
    ],
)
def test_app_pods_spread_across_zones_and_nodes(
    rendered: dict[str, list[Obj]], overlay: str, kind: str, name: str, hash_key: str
) -> None:
    template = one(rendered[overlay], kind, name)["spec"]["template"]
    spread = {c["topologyKey"]: c for c in template["spec"]["topologySpreadConstraints"]}
    assert set(spread) == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
    assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "DoNotSchedule"
    for constraint in spread.values():
        assert constraint["maxSkew"] == 1
        assert selects(constraint["labelSelector"], template["metadata"]["labels"])
        # Old and new replica sets are spread each on their own.
        assert constraint["matchLabelKeys"] == [hash_key]


def scrapes(objs: list[Obj], pod_labels: dict[str, str]) -> list[str]:
    """Every scrape target a pod with these labels gets (prometheus-operator semantics)."""
    found = []
    for o in objs:
        if o["kind"] == "PodMonitor" and selects(o["spec"]["selector"], pod_labels):
            found += [f"PodMonitor/{o['metadata']['name']}"] * len(o["spec"]["podMetricsEndpoints"])
        if o["kind"] == "ServiceMonitor":
            for svc in (s for s in objs if s["kind"] == "Service"):
                if not selects(o["spec"]["selector"], svc["metadata"].get("labels", {})):
                    continue
                if selects({"matchLabels": svc["spec"].get("selector", {})}, pod_labels):
                    found.append(
                        f"ServiceMonitor/{o['metadata']['name']} via {svc['metadata']['name']}"
                    )
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_pod_is_scraped_once(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    for kind, name in (("Rollout", "fixia"), ("Deployment", "fixia-worker")):
        labels = one(objs, kind, name)["spec"]["template"]["metadata"]["labels"]
        assert len(scrapes(objs, labels)) == 1, (name, scrapes(objs, labels))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backups_go_through_the_barman_cloud_plugin(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objs = rendered[overlay]
    cluster = one(objs, "Cluster", "fixia-db")["spec"]
    assert "barmanObjectStore" not in cluster.get("backup", {})  # deprecated in-tree support
    (plugin,) = cluster["plugins"]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"]
    store = one(objs, "ObjectStore", plugin["parameters"]["barmanObjectName"])["spec"]
    assert store["configuration"]["destinationPath"].startswith("s3://")
    scheduled = one(objs, "ScheduledBackup")["spec"]
    assert scheduled["method"] == "plugin"
    assert scheduled["pluginConfiguration"]["name"] == plugin["name"]
