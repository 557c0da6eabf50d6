"""Secret rotation on a stack with one serving slot (the state a deploy leaves), under bounded
read load through HAProxy on loopback: not one request may fail.

The scenarios share one stack and run in file order: the JWT rotation moves the traffic from
blue to green, the database password rotation moves it back, `roll` after a hand edit moves it
again; last, with both slots serving, each restarts drained in place.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from fixiactl.deploy.haproxy import Runtime
from fixiactl.deploy.journal import Slots
from tests.acceptance.delivery.load import Load, LoadResult
from tests.factories.accounts import Account, log_in, register
from tests.stack import FIXIACTL, ROOT, RunningStack

# Light and bounded: 4 connections, 50 ms apart (~70 req/s), at most 300 s and 25,000 requests
# (a rotation takes ~15 s on an idle host, minutes on a saturated one).
LOAD = {"connections": 4, "delay_ms": 50, "max_s": 300, "max_requests": 25_000}
MIN_REQUESTS = 300


def _ctl(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [FIXIACTL, *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _under_load(stack: RunningStack, *args: str) -> tuple[dict[str, Any], LoadResult]:
    with Load(stack.http, **LOAD) as load:  # type: ignore[arg-type]
        time.sleep(2)
        started = time.monotonic()
        result = _ctl(*args, "--env", stack.env)
        time.sleep(2)  # requests after the switch count too
        covered = time.monotonic() - started + 2
        outcome = load.stop()
    # The load must have run through the whole rotation, not ended on its own bounds.
    assert outcome.duration_s >= covered - 0.5, (outcome, covered)
    return result, outcome


async def _audited(stack: RunningStack, target: str) -> list[dict[str, Any]]:
    engine = create_async_engine(stack.database_url)
    try:
        async with engine.connect() as conn:
            query = text(
                "select data from audit_log where action = 'secret.rotated' "
                "and target_type = 'secret' and target_id = :target"
            )
            rows = (await conn.execute(query, {"target": target})).scalars().all()
    finally:
        await engine.dispose()
    return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def _current(stack: RunningStack) -> RunningStack:
    """The stack with its database password as of now (rotate-db-password changes it)."""
    password = json.loads((stack.state / "stack.json").read_text())["db_password"]
    return RunningStack(stack.env, stack.state, stack.ports, password)


def _processes(stack: RunningStack) -> dict[str, str]:
    components = json.loads(stack.ctl("status", "--json", check=False).stdout)
    return {c["name"]: c["state"] for c in components}


async def test_jwt_rotation_with_one_serving_slot_fails_no_request(
    one_slot_stack: RunningStack,
) -> None:
    stack = one_slot_stack
    assert Slots.load(stack.env).active == "blue"
    assert _processes(stack)["app-green"] == "STOPPED"
    async with httpx.AsyncClient(base_url=stack.http, timeout=30) as client:
        user = await register(client, stack.state / "outbox")
        old_kid = jwt.get_unverified_header(user.access_token)["kid"]

        result, load = await asyncio.to_thread(_under_load, stack, "secrets", "rotate-jwt")

        assert load.failed == 0, load
        assert load.requests >= MIN_REQUESTS, load
        assert result["mode"] == "swap" and result["live"] == "green", result
        assert result["restarted"] == ["app-green"] and result["stopped"] == ["app-blue"]
        assert result["previous_kid"] == old_kid and result["new_kid"] != old_kid
        # The deploy journal follows the traffic, on the same release, so deploys still work.
        slots = Slots.load(stack.env)
        assert slots.active == "green" and slots.releases["green"] == slots.releases["blue"]
        assert _processes(stack)["app-blue"] == "STOPPED"
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
        await log_in(client, user)
        assert jwt.get_unverified_header(user.access_token)["kid"] == result["new_kid"]
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
    assert result["audited"] is True
    details = await _audited(stack, "jwt")
    assert [d["new_kid"] for d in details] == [result["new_kid"]], details


async def test_db_password_rotation_with_one_serving_slot_fails_no_request(
    one_slot_stack: RunningStack,
) -> None:
    stack = one_slot_stack
    live = Slots.load(stack.env).active
    old_password = json.loads((stack.state / "stack.json").read_text())["db_password"]
    async with httpx.AsyncClient(base_url=stack.http, timeout=30) as client:
        user: Account = await register(client, stack.state / "outbox")

        result, load = await asyncio.to_thread(_under_load, stack, "secrets", "rotate-db-password")

        assert load.failed == 0, load
        assert load.requests >= MIN_REQUESTS, load
        assert result["mode"] == "swap" and result["live"] != live, result
        assert Slots.load(stack.env).active == result["live"]
        # Writes go through PgBouncer with the new password; the session still holds.
        assert (await client.get("/api/v1/me", headers=user.headers)).status_code == 200
        await log_in(client, user)
    new_password = json.loads((stack.state / "stack.json").read_text())["db_password"]
    assert new_password != old_password
    stale = RunningStack(stack.env, stack.state, stack.ports, old_password)
    with pytest.raises(DBAPIError, match="password authentication failed"):
        await _audited(stale, "database")
    assert result["audited"] is True and len(await _audited(_current(stack), "database")) == 1


async def test_roll_brings_a_secret_changed_by_hand_into_the_slots(
    one_slot_stack: RunningStack,
) -> None:
    """The payment secrets' procedure: change the secret where it lives, then `roll`."""
    stack = one_slot_stack
    path = stack.state / "stack.json"
    data = json.loads(path.read_text())
    data["webhook_secret"] = new_secret = "rolled-" + uuid.uuid4().hex  # pragma: allowlist secret
    path.write_text(json.dumps(data, indent=2))

    result, load = await asyncio.to_thread(
        _under_load, stack, "secrets", "roll", "--secret", "webhook-secret"
    )

    assert load.failed == 0, load
    assert result["restarted"] and result["audited"] is True, result
    for slot in ("blue", "green"):
        env_file = (stack.state / f"app-{slot}.env").read_text()
        assert f"FIXIA_PAYMENTS__WEBHOOK_SECRET={new_secret}\n" in env_file
    assert len(await _audited(_current(stack), "webhook-secret")) == 1


async def test_rotation_with_both_slots_serving_restarts_each_drained(
    one_slot_stack: RunningStack,
) -> None:
    stack = one_slot_stack
    live = Slots.load(stack.env).active
    other = "green" if live == "blue" else "blue"
    stack.ctl("start", f"app-{other}")
    runtime = Runtime(stack.state)
    runtime.set_weight(other, 100)
    assert runtime.wait_up(other, 120)

    result, load = await asyncio.to_thread(_under_load, stack, "secrets", "rotate-jwt")

    assert load.failed == 0, load
    assert load.requests >= MIN_REQUESTS, load
    assert result["mode"] == "in_place", result
    assert result["restarted"] == ["app-blue", "app-green"] and result["stopped"] == []
    assert Slots.load(stack.env).active == live  # nothing moved: both still serve
    assert {s: runtime.stats()[s].status[:2] for s in ("blue", "green")} == {
        "blue": "UP",
        "green": "UP",
    }
    async with httpx.AsyncClient(base_url=stack.http, timeout=30) as client:
        user = await register(client, stack.state / "outbox")
    assert jwt.get_unverified_header(user.access_token)["kid"] == result["new_kid"]
