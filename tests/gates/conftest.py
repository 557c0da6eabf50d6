"""The Kubernetes overlays as `kubectl kustomize` renders them, once per session."""

from __future__ import annotations

import pytest

from fixiactl.k8s.render import kubectl, overlays
from fixiactl.stack.config import ROOT
from tests.gates.k8s import Obj
from tests.servers import IN_CI


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Obj]]:
    """Every overlay as `kubectl kustomize` renders it (what `kubectl apply -k` applies)."""
    if kubectl() is None:
        missing = "kubectl not on PATH: run scripts/install-system-deps"
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    return overlays(ROOT)
