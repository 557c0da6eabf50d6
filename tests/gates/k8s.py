"""Helpers for the tests of the rendered Kubernetes objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]
OVERLAYS = ("staging", "production", "production-blue-green")


def one(objs: list[Obj], kind: str, name: str | None = None) -> Obj:
    hits = [
        o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(hits) == 1, f"{kind}/{name}: {len(hits)} found"
    return hits[0]


def pod_specs(objs: list[Obj]) -> Iterator[tuple[str, Obj]]:
    """(owner name, pod spec) of every object with a pod template, CronJobs and Jobs too."""
    for o in objs:
        spec = o.get("spec", {})
        if o["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        template = spec.get("template")
        if isinstance(template, dict) and "containers" in template.get("spec", {}):
            yield o["metadata"]["name"], template["spec"]
