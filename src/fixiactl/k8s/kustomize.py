"""Render a kustomization the way `kustomize build` does, for the subset this repo uses.

There is no kubectl or kustomize binary on these machines (and none on PyPI), so validation
renders overlays itself. Supported: `resources` (files and directories), `namespace`,
`labels` (metadata only), `images`, and `patches` whose file is a strategic-merge document
(maps merge, null deletes a key; `containers` merge by name; other lists replace). Anything
else is refused, so a kustomization cannot silently use a feature that is not rendered here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from fixiactl.errors import FixiactlError

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
Obj = dict[str, Any]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:  # strategic merge: null deletes the key
                out.pop(key, None)
            else:
                out[key] = _merge(base[key], value) if key in base else value
        return out
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
    ):
        merged = {item["name"]: item for item in base}
        for item in patch:
            merged[item["name"]] = _merge(merged.get(item["name"], {}), item)
        return list(merged.values())
    return copy.deepcopy(patch)


def _pod_spec(obj: Obj) -> Obj | None:
    template = obj.get("spec", {}).get("template")
    return template.get("spec") if isinstance(template, dict) else None


def _set_images(objs: list[Obj], images: list[Obj]) -> None:
    for obj in objs:
        spec = _pod_spec(obj)
        if not spec:
            continue
        for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
            name = container["image"].split(":")[0]
            for image in images:
                if image["name"] == name:
                    container["image"] = f"{image.get('newName', name)}:{image['newTag']}"


def _matches(obj: Obj, target: Obj) -> bool:
    return all(
        obj.get(k) == v if k == "kind" else obj["metadata"].get(k) == v for k, v in target.items()
    )


def build(directory: Path) -> list[Obj]:
    kfile = directory / "kustomization.yaml"
    spec = yaml.safe_load(kfile.read_text())
    extra = set(spec) - SUPPORTED
    if extra:
        raise FixiactlError(f"{kfile}: unsupported kustomize fields {sorted(extra)}")
    objs: list[Obj] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objs.extend(build(path))
        else:
            objs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    for patch in spec.get("patches", []):
        doc = yaml.safe_load((directory / patch["path"]).read_text())
        target = patch.get("target") or {"kind": doc["kind"], "name": doc["metadata"]["name"]}
        hits = [i for i, o in enumerate(objs) if _matches(o, target)]
        if not hits:
            raise FixiactlError(f"{kfile}: patch {patch['path']} matches nothing")
        for i in hits:
            objs[i] = _merge(objs[i], doc)
    for label_set in spec.get("labels", []):
        for obj in objs:
            obj["metadata"].setdefault("labels", {}).update(label_set["pairs"])
    if "namespace" in spec:
        for obj in objs:
            if obj["kind"] not in {"Namespace", "ClusterRole", "ClusterRoleBinding"}:
                obj["metadata"]["namespace"] = spec["namespace"]
    _set_images(objs, spec.get("images", []))
    return objs
