"""The container image and the compose stack, checked without a Docker daemon (there is none
on the build machines; checkov also scans the Dockerfile in `make gates`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from fixiactl.stack.config import ROOT

DOCKER = ROOT / "deploy" / "docker"


def stages() -> list[list[str]]:
    """The Dockerfile's instructions, grouped by FROM, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DOCKER / "Dockerfile").read_text())
    out: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append([])
        out[-1].append(line)
    return out


def test_multi_stage_uv_builder_then_slim_non_root_runtime() -> None:
    builder, runtime = stages()
    assert builder[0].endswith("AS builder") and "uv sync --frozen --no-dev" in " ".join(builder)
    assert "slim" in runtime[0]
    final = " ".join(runtime)
    assert re.search(r"^USER 10001", "\n".join(runtime), re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final
    # No build tools, no uv, no package manager run in the runtime stage.
    for banned in ("apt-get install", "pip install", "uv ", "gcc", "build-essential"):
        assert banned not in final, banned
    assert "COPY --from=builder" in final


def test_compose_mirrors_the_stack_topology() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = set(compose["services"])
    assert services >= {
        "postgres",
        "pgbouncer",
        "redis",
        "haproxy",
        "app-blue",
        "app-green",
        "worker",
        "prometheus",
        "alertmanager",
    }
    worker = compose["services"]["worker"]
    assert worker["command"][:2] == ["fixia", "worker"]
    assert "@postgres:5432/" in worker["environment"]["FIXIA_QUEUE__DATABASE_URL"]
    for slot in ("app-blue", "app-green"):
        app = compose["services"][slot]
        assert app["read_only"] is True and app["cap_drop"] == ["ALL"]
        assert "@pgbouncer:6432/" in app["environment"]["FIXIA_DATABASE_URL"]
    _redis_is_split_and_locked(compose["services"])
    # Published ports only on loopback, like the single-host stack.
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), name


def _redis_is_split_and_locked(services: dict[str, Any]) -> None:
    """Issue #27, 10d: both instances want the password, which never sits in argv; the
    limiter never evicts; the app reaches each with the password; both are scraped."""
    env = services["app-blue"]["environment"]
    assert env["FIXIA_REDIS_URL"].startswith("redis://:${FIXIA_REDIS_PASSWORD")
    assert "@redis-limiter:6379/" in env["FIXIA_RATELIMIT__REDIS_URL"]
    assert ":${FIXIA_REDIS_PASSWORD" in env["FIXIA_RATELIMIT__REDIS_URL"]
    for name, policy in (("redis", "allkeys-lru"), ("redis-limiter", "noeviction")):
        command = " ".join(services[name]["command"])
        assert "requirepass" in command and "--requirepass" not in command, name
        assert f"--maxmemory-policy {policy}" in command, name
        assert services[name]["environment"]["REDISCLI_AUTH"].startswith("${FIXIA_REDIS_PASSWORD")
    for exporter, target in (
        ("redis-exporter", "redis"),
        ("redis-limiter-exporter", "redis-limiter"),
    ):
        assert services[exporter]["environment"]["REDIS_ADDR"] == f"redis://{target}:6379"
        scrape = (DOCKER / "config" / "prometheus.yml").read_text()
        assert f"{exporter}:9121" in scrape


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("haproxy", ["-c", "-f", str(DOCKER / "config" / "haproxy.cfg")]),
        (
            "promtool",
            ["check", "config", "--syntax-only", str(DOCKER / "config" / "prometheus.yml")],
        ),
        ("amtool", ["check-config", str(DOCKER / "config" / "alertmanager.yml")]),
    ],
)
def test_compose_configs_are_valid(tool: str, args: list[str]) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run scripts/install-system-deps --stack")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
