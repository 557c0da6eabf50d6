"""fixiactl's stack configuration: rendered templates are valid for the real servers, secrets
stay out of supervisord's config, and a missing binary says how to install it."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixiactl.errors import FixiactlError
from fixiactl.stack import controller
from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import app_environment, oneshot_environment, render_all


@pytest.fixture
def rendered() -> Iterator[Path]:
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    state = load_or_create_state(config)
    render_all(config, state, as_root=False)
    yield state_dir(config.name)
    shutil.rmtree(state_dir(config.name), ignore_errors=True)


def test_haproxy_config_is_valid(rendered: Path) -> None:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed: run scripts/install-system-deps --stack")
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(rendered / "haproxy" / "haproxy.cfg")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_live_in_owner_only_env_files(rendered: Path) -> None:
    stack = (rendered / "stack.json").read_text()
    supervisord = (rendered / "supervisord.conf").read_text()
    env_file = rendered / "app-blue.env"
    assert oct(env_file.stat().st_mode)[-3:] == "600"
    assert oct((rendered / "stack.json").stat().st_mode)[-3:] == "600"
    assert "FIXIA_ENCRYPTION_KEY=" in env_file.read_text()
    assert "--env-file" in supervisord
    for secret in ("db_password", "jwt_key", "encryption_key", "webhook_secret"):
        assert json.loads(stack)[secret] not in supervisord


def test_pgbouncer_uses_transaction_pooling(rendered: Path) -> None:
    ini = (rendered / "pgbouncer" / "pgbouncer.ini").read_text()
    assert "pool_mode = transaction" in ini
    assert "auth_type = scram-sha-256" in ini


def test_state_is_reused(rendered: Path) -> None:
    config = load_env(rendered.name, base_port=0)
    first = (rendered / "stack.json").read_text()
    load_or_create_state(config)
    assert (rendered / "stack.json").read_text() == first


def test_missing_binary_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        controller, "BINARIES", {"pgbouncer": (Path("/nonexistent/pgbouncer"), "pgbouncer")}
    )
    with pytest.raises(FixiactlError) as caught:
        controller.check_binaries()
    assert "pgbouncer" in caught.value.message
    assert caught.value.hint and "apt-get install -y pgbouncer" in caught.value.hint


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(FixiactlError, match="unknown environment"):
        load_env("prod-typo")


def test_one_shot_environment_goes_straight_to_postgres_without_metrics_dir() -> None:
    config = load_env(f"test-{uuid.uuid4().hex[:6]}", base_port=0)
    try:
        state = load_or_create_state(config)
        env = oneshot_environment(config, state)
        assert f":{state.ports['postgres']}/fixia" in env["FIXIA_DATABASE_URL"]
        assert "FIXIA_DB__VIA_PGBOUNCER" not in env
        assert "PROMETHEUS_MULTIPROC_DIR" not in env
        assert "PROMETHEUS_MULTIPROC_DIR" in app_environment(config, state, "blue")
    finally:
        shutil.rmtree(state_dir(config.name), ignore_errors=True)
