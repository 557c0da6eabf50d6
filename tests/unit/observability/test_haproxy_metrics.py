"""The public HAProxy frontend refuses /metrics; Prometheus reads each slot's own port."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import app_environment, render_all


@pytest.fixture
def haproxy() -> Iterator[tuple[str, Path]]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: run scripts/install-system-deps --stack")
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    state = load_or_create_state(config)
    render_all(config, state, as_root=False)
    root = state_dir(config.name)
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(root / "haproxy" / "haproxy.cfg")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{state.ports['http']}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base, root
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def test_public_frontend_denies_metrics(haproxy: tuple[str, Path]) -> None:
    base, _ = haproxy
    for path in ("/metrics", "/metrics/", "/metrics?x=1"):
        assert httpx.get(base + path, timeout=5).status_code == 403, path
    # Everything else is proxied (the slots are not running here: 503, not 403).
    assert httpx.get(f"{base}/api/v1/categories", timeout=5).status_code == 503


def test_each_slot_gets_its_own_metrics_directory() -> None:
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    state = load_or_create_state(config)
    try:
        dirs = {
            app_environment(config, state, s)["PROMETHEUS_MULTIPROC_DIR"] for s in ("blue", "green")
        }
    finally:
        shutil.rmtree(state_dir(config.name), ignore_errors=True)
    assert len(dirs) == 2 and all(d.startswith(str(state_dir(config.name))) for d in dirs)
