"""`fixiactl secrets rotate-jwt`: the new key signs, old tokens verify until they expire, and
a retired key stops verifying once pruned. The keyring fixiactl writes for the stack's slots
is loaded into the app exactly as a slot would read it (FIXIA_AUTH__JWT_KEYS / _ACTIVE_KID)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI

from fixia.config import AuthSettings, Settings
from fixia.main import create_app
from fixiactl.errors import FixiactlError
from fixiactl.secrets import rotate
from fixiactl.stack.config import StackState, load_env, state_dir
from tests.factories.accounts import Account, log_in, register

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
ENV = "test-jwt-rotation"


@pytest.fixture
def stack_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stack's persisted state (no processes): what `fixiactl stack up` would have written."""
    monkeypatch.setenv("FIXIACTL_STATE_ROOT", str(tmp_path / "stacks"))
    state = StackState(
        ports={"blue": 1, "green": 2, "http": 3, "pgbouncer": 4, "redis": 5},
        db_password="pw",
        jwt_key="first-signing-key-" + "x" * 40,
        encryption_key="e" * 48,
        webhook_secret="w" * 40,
    )
    root = state_dir(ENV)
    root.mkdir(parents=True)
    (root / "stack.json").write_text(json.dumps(asdict(state)))
    return root


def slot_auth(root: Path, base: AuthSettings) -> AuthSettings:
    """The auth settings a slot gets from its rendered environment file."""
    lines = (root / "app-blue.env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    return base.model_copy(
        update={
            "jwt_keys": AuthSettings(
                jwt_keys=json.loads(env["FIXIA_AUTH__JWT_KEYS"]),
                jwt_active_kid=env["FIXIA_AUTH__JWT_ACTIVE_KID"],
            ).jwt_keys,
            "jwt_active_kid": env["FIXIA_AUTH__JWT_ACTIVE_KID"],
        }
    )


def app_with(settings: Settings, auth: AuthSettings) -> FastAPI:
    return create_app(settings.model_copy(update={"auth": auth}))


async def me_status(app: FastAPI, token: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code


async def test_rotation_keeps_old_tokens_until_they_expire(
    stack_state: Path, settings: Settings, outbox: Path
) -> None:
    config = load_env(ENV)
    rotate.prune_jwt(config)  # renders the slots' files for the initial ring
    first = app_with(settings, slot_auth(stack_state, settings.auth))
    transport = httpx.ASGITransport(app=first)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        user: Account = await register(c, outbox)
    old_token = user.access_token
    assert jwt.get_unverified_header(old_token)["kid"] == "k1"

    t0 = datetime.now(UTC)
    result = rotate.rotate_jwt(config, now=t0)
    new_kid = result["new_kid"]
    assert result["previous_kid"] == "k1" and result["kids"] == sorted(["k1", new_kid])
    rotated = app_with(settings, slot_auth(stack_state, settings.auth))
    assert await me_status(rotated, old_token) == 200  # signed before, verifies after
    transport = httpx.ASGITransport(app=rotated)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await log_in(c, user)
    assert jwt.get_unverified_header(user.access_token)["kid"] == new_kid

    # Pruning before the old tokens expired keeps the key...
    assert rotate.prune_jwt(config, now=t0 + timedelta(seconds=60))["dropped"] == []
    # ...and after the access TTL (plus leeway) it is gone: old tokens stop verifying.
    later = t0 + timedelta(seconds=settings.auth.access_ttl_s + 61)
    assert rotate.prune_jwt(config, now=later)["dropped"] == ["k1"]
    pruned = app_with(settings, slot_auth(stack_state, settings.auth))
    assert await me_status(pruned, old_token) == 401
    assert await me_status(pruned, user.access_token) == 200
    for app in (first, rotated, pruned):
        await app.state.engine.dispose()


def test_cli_rotates_and_reports_json(stack_state: Path) -> None:
    fixiactl = Path(sys.executable).parent / "fixiactl"
    done = subprocess.run(
        [str(fixiactl), "secrets", "rotate-jwt", "--env", ENV, "--json"],
        env={**os.environ},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["previous_kid"] == "k1" and result["new_kid"] != "k1"
    assert result["restarted"] == []  # nothing running: the files apply at the next start
    env_file = (stack_state / "app-green.env").read_text()
    assert f'"FIXIA_AUTH__JWT_ACTIVE_KID={result["new_kid"]}' not in env_file
    assert f"FIXIA_AUTH__JWT_ACTIVE_KID={result['new_kid']}" in env_file
    assert oct((stack_state / "stack.json").stat().st_mode & 0o777) == "0o600"


def test_re_rendered_slot_files_keep_each_slots_release(stack_state: Path) -> None:
    """A rotation rewrites both slots' files; a slot a deploy pointed at a release keeps it."""
    (stack_state / "slots").mkdir()
    release_env = "FIXIA_RELEASE=0.1.0-abcdef12\nFIXIA_GIT_SHA=abcdef12\n"
    (stack_state / "slots" / "green.release.env").write_text(release_env)
    result = rotate.rotate_jwt(load_env(ENV))
    green = (stack_state / "app-green.env").read_text()
    assert "FIXIA_RELEASE=0.1.0-abcdef12\n" in green and "FIXIA_GIT_SHA=abcdef12\n" in green
    assert f"FIXIA_AUTH__JWT_ACTIVE_KID={result['new_kid']}\n" in green
    assert "FIXIA_RELEASE=dev\n" in (stack_state / "app-blue.env").read_text()
    assert result["mode"] == "none" and result["audited"] is False


def test_roll_refuses_a_malformed_secret_name_and_renders_the_files(stack_state: Path) -> None:
    with pytest.raises(FixiactlError, match="cannot record secret"):
        rotate.roll_changed(load_env(ENV), "Webhook Secret; drop")
    result = rotate.roll_changed(load_env(ENV), "webhook-secret")
    assert result["mode"] == "none" and result["restarted"] == [] and result["audited"] is False
    blue = (stack_state / "app-blue.env").read_text()
    assert f"FIXIA_PAYMENTS__WEBHOOK_SECRET={'w' * 40}\n" in blue
