"""`fixiactl secrets rotate-jwt` on a running stack: the new key signs, sessions signed with
the old one keep working, and the rotation lands in the audit log."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.factories.accounts import register
from tests.stack import FIXIACTL, ROOT, RunningStack

pytestmark = pytest.mark.stack


def _rotate(env: str) -> dict[str, object]:
    done = subprocess.run(
        [FIXIACTL, "secrets", "rotate-jwt", "--env", env, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def _ready(client: httpx.AsyncClient, deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if (await client.get("/readyz")).status_code == 200:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the stack did not come back after the rotation")


async def _rotations_audited(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            query = text("select count(*) from audit_log where action = 'secret.rotated'")
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_rotation_keeps_old_sessions_and_signs_with_the_new_key(
    running_stack: RunningStack, client: httpx.AsyncClient, outbox: Path
) -> None:
    before = await register(client, outbox)
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]

    result = await asyncio.to_thread(_rotate, running_stack.env)
    await _ready(client)

    assert result["previous_kid"] == old_kid and result["new_kid"] != old_kid
    assert result["restarted"] == ["app-blue"] and result["audited"] is True
    still = await client.get("/api/v1/me", headers=before.headers)
    assert still.status_code == 200, still.text
    after = await register(client, outbox)
    assert jwt.get_unverified_header(after.access_token)["kid"] == result["new_kid"]
    assert (await client.get("/api/v1/me", headers=after.headers)).status_code == 200
    assert await _rotations_audited(running_stack.database_url) >= 1
