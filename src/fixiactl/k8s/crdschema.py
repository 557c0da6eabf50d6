"""Strict JSON Schemas from upstream CustomResourceDefinitions.

A CRD's openAPIV3Schema lets the API server prune unknown fields silently, so a misspelt
field vanishes instead of failing. The vendored schemas (deploy/k8s/schemas/*.json, made by
`scripts/vendor-crd-schemas` from the upstream CRD files named in each) refuse them instead:
every object schema that lists its properties gets `additionalProperties: false` unless the
CRD marks it `x-kubernetes-preserve-unknown-fields`. Descriptions are dropped (size); CEL
rules (`x-kubernetes-validations`) are not evaluated here, only by a real API server."""

from __future__ import annotations

from typing import Any

import yaml

DROP = {"description", "x-kubernetes-validations", "example"}


def strict(node: Any) -> Any:
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items() if k not in DROP}
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    out.pop("nullable", None)
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not preserve:
        out["additionalProperties"] = False
    return out


def schemas_from_crd(text: str) -> dict[str, dict[str, Any]]:
    """{"group/version Kind": strict schema} for every served version of the CRD."""
    crd = yaml.safe_load(text)
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    found = {}
    for version in crd["spec"]["versions"]:
        if not version.get("served", True):
            continue
        schema = strict(version["schema"]["openAPIV3Schema"])
        schema["properties"]["apiVersion"] = {"const": f"{group}/{version['name']}"}
        schema["properties"]["kind"] = {"const": kind}
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind"})
        found[f"{group}/{version['name']} {kind}"] = schema
    return found
