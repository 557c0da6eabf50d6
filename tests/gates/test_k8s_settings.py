"""The pods would start: every app container's environment, as the rendered ConfigMaps and the
ExternalSecrets' key names give it (placeholder values), builds the app's Settings."""

from __future__ import annotations

import json
import os

import pytest

from fixia.config import Settings
from tests.gates.k8s import OVERLAYS, Obj, one, pod_specs

# The settings every container of the app's image reads (the image's entrypoint is `fixia`).
EXPECTED_ENV = {"staging": "staging", "production": "production"}


def placeholder(key: str) -> str:
    """A value of the right shape that no placeholder check refuses (32+ characters)."""
    filler = f"placeholder-{key.lower()}-0123456789abcdef0123456789abcdef"
    if key == "FIXIA_AUTH__JWT_KEYS":
        return json.dumps({"k1": filler})
    if key.endswith("_URL"):
        return "postgresql+asyncpg://fixia:x@db:5432/fixia" if "DATABASE" in key else "redis://r"
    return filler


def secret_keys(objs: list[Obj], name: str) -> list[str]:
    (es,) = [
        o for o in objs if o["kind"] == "ExternalSecret" and o["spec"]["target"]["name"] == name
    ]
    return [d["secretKey"] for d in es["spec"]["data"]]


def container_env(objs: list[Obj], container: Obj) -> dict[str, str]:
    """The environment Kubernetes would give the container (envFrom, then env)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(one(objs, "ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            env.update({k: placeholder(k) for k in secret_keys(objs, source["secretRef"]["name"])})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var.get("valueFrom", {}):
            env[var["name"]] = placeholder(var["name"])
    return env


def app_containers(objs: list[Obj]) -> list[tuple[str, Obj]]:
    return [
        (f"{owner}/{c['name']}", c)
        for owner, spec in pod_specs(objs)
        for c in [*spec.get("initContainers", []), *spec["containers"]]
        if c["image"].startswith("ghcr.io/fixia/fixia")
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_app_container_builds_its_settings(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered[overlay]
    containers = app_containers(objs)
    assert len(containers) >= 2, containers  # the app and the worker at least
    for where, container in containers:
        env = container_env(objs, container)
        with monkeypatch.context() as m:
            for name in [n for n in os.environ if n.startswith("FIXIA_")]:
                m.delenv(name)
            for name, value in env.items():
                m.setenv(name, value)
            settings = Settings()
        assert settings.env == EXPECTED_ENV.get(overlay, "production"), where
        if settings.env == "production":
            assert settings.payments.provider == "mercadopago", where
            assert settings.email.backend == "smtp", where
