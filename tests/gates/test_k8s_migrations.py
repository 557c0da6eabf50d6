"""Migrations on Kubernetes: expand before the rollout, contract after it, as the single-host
deployer runs them (fixiactl.k8s.migrate in Jobs ordered by Argo CD hooks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixiactl.k8s import generate
from fixiactl.k8s.migrate import migrate
from fixiactl.stack.config import ROOT
from tests.gates.k8s import OVERLAYS, Obj, one
from tests.gates.netpol import Endpoint, reaches

ADD = "op.add_column('t', sa.Column('c', sa.Text()))"
DROP = "op.drop_column('t', 'old')"


def write_migration(versions: Path, rev: str, down: str | None, body: str) -> None:
    (versions / f"{rev}.py").write_text(
        f"revision = {rev!r}\ndown_revision = {down!r}\n\ndef upgrade():\n    {body}\n"
    )


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    """0001 applied; pending: 0002 expand, 0003 contract, 0004 expand (after the contract)."""
    for rev, down, body in (
        ("0001", None, ADD),
        ("0002", "0001", ADD),
        ("0003", "0002", DROP),
        ("0004", "0003", ADD),
    ):
        write_migration(tmp_path, rev, down, body)
    return tmp_path


class FakeFixia:
    def __init__(self, current: list[str]) -> None:
        self.current = current
        self.calls: list[list[str]] = []

    def __call__(self, cmd: list[str]) -> tuple[int, str]:
        self.calls.append(cmd)
        if cmd[:3] == ["fixia", "db", "current"]:
            return 3, json.dumps({"current": self.current, "head": ["0004"], "at_head": False})
        return 0, ""


def test_expand_stops_before_the_first_contract_and_contract_runs_the_rest(
    versions: Path,
) -> None:
    fake = FakeFixia(["0001"])
    done = migrate("expand", versions, fake)
    assert done["ran"] == ["0002"] and fake.calls[-1] == ["fixia", "db", "upgrade", "0002"]
    fake = FakeFixia(["0002"])
    done = migrate("contract", versions, fake)
    assert done["ran"] == ["0003", "0004"] and fake.calls[-1] == ["fixia", "db", "upgrade", "head"]


def test_nothing_pending_runs_nothing(versions: Path) -> None:
    fake = FakeFixia(["0004"])
    assert migrate("expand", versions, fake)["target"] is None
    assert migrate("contract", versions, fake)["target"] is None
    assert all(c[:3] == ["fixia", "db", "current"] for c in fake.calls)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_jobs_run_expand_before_and_contract_after_the_rollout(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objs = rendered[overlay]
    app_image = one(objs, "Rollout")["spec"]["template"]["spec"]["containers"][0]["image"]
    for phase, hook in (("expand", "PreSync"), ("contract", "PostSync")):
        job = one(objs, "Job", f"fixia-migrate-{phase}")
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == hook
        assert job["spec"]["backoffLimit"] == 0
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["image"] == app_image  # the release's own migrations
        assert container["command"] == ["fixiactl", "k8s", "migrate", phase, "--json"]
        url = next(e for e in container["env"] if e["name"] == "FIXIA_DATABASE_URL")
        assert url["valueFrom"]["secretKeyRef"]["key"] == "FIXIA_QUEUE__DATABASE_URL"
        labels = job["spec"]["template"]["metadata"]["labels"]
        namespace = one(objs, "Namespace")["metadata"]["name"]
        db = Endpoint(namespace, {"cnpg.io/cluster": "fixia-db"})
        assert reaches(objs, Endpoint(namespace, labels), db, 5432)


def test_new_pods_are_ready_while_the_contract_is_pending(rendered: dict[str, list[Obj]]) -> None:
    objs = rendered["production"]
    sources = one(objs, "Rollout")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"configMapRef": {"name": "fixia-migrations"}} in sources
    (config,) = generate.migrations_config(ROOT / "src/fixia/migrations/versions")
    assert one(objs, "ConfigMap", "fixia-migrations")["data"] == config["data"]
