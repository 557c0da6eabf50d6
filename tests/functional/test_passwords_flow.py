"""Forgot, reset and change password, with the 5-entry history."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.factories.accounts import PASSWORD, last_link_token, log_in, register

API = "/api/v1"
NEW = [
    "Lluvia-Esquel-417#",
    "Meseta-Gaiman-529$",
    "Estepa-Rawson-637%",
    "Glaciar-Trevelin-71&",
    "Ballena-Madryn-815*",
    "Pingüino-Tombo-93@",
]


async def _change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str, new: str
) -> httpx.Response:
    return await client.post(
        f"{API}/auth/change-password",
        headers=headers,
        json={"current_password": current, "new_password": new},
    )


async def test_forgot_password_always_accepts(client: httpx.AsyncClient, outbox: Path) -> None:
    r = await client.post(f"{API}/auth/forgot-password", json={"email": "ghost@example.com"})
    assert r.status_code == 202
    assert not list(outbox.glob("*.eml"))


async def test_reset_password_flow(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    r = await client.post(f"{API}/auth/forgot-password", json={"email": account.email})
    assert r.status_code == 202
    token = last_link_token(outbox, account.email, kind="reset-password")
    r = await client.post(
        f"{API}/auth/reset-password", json={"token": token, "new_password": NEW[0]}
    )
    assert r.status_code == 200
    # Sessions are revoked and the old password no longer works.
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 401
    r = await client.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
    assert r.status_code == 401
    account.password = NEW[0]
    await log_in(client, account)
    # The link is single use.
    r = await client.post(
        f"{API}/auth/reset-password", json={"token": token, "new_password": NEW[1]}
    )
    assert r.status_code == 400


async def test_reset_password_applies_policy_and_history(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox)
    await client.post(f"{API}/auth/forgot-password", json={"email": account.email})
    token = last_link_token(outbox, account.email, kind="reset-password")
    r = await client.post(
        f"{API}/auth/reset-password", json={"token": token, "new_password": "weak"}
    )
    assert r.status_code == 422
    r = await client.post(
        f"{API}/auth/reset-password", json={"token": token, "new_password": PASSWORD}
    )
    assert r.status_code == 422 and r.json()["code"] == "password_reused"


async def test_reset_token_expires(client: httpx.AsyncClient, outbox: Path, db_exec) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox)
    await client.post(f"{API}/auth/forgot-password", json={"email": account.email})
    token = last_link_token(outbox, account.email, kind="reset-password")
    await db_exec("UPDATE one_time_tokens SET expires_at = created_at")
    r = await client.post(
        f"{API}/auth/reset-password", json={"token": token, "new_password": NEW[0]}
    )
    assert r.status_code == 400


async def test_change_password_needs_current(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    r = await _change(client, account.headers, "Wrong-Pass-928!", NEW[0])
    assert r.status_code == 400 and r.json()["code"] == "wrong_current_password"
    r = await _change(client, account.headers, PASSWORD, "weakpassword")
    assert r.status_code == 422


async def test_change_password_history_of_five(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    current = PASSWORD
    for new in NEW[:4]:
        r = await _change(client, account.headers, current, new)
        assert r.status_code == 200, r.text
        account.password = current = new
        await log_in(client, account)
    # Current + the 4 before it are remembered: PASSWORD was 5 changes ago... still remembered.
    r = await _change(client, account.headers, current, PASSWORD)
    assert r.status_code == 422 and r.json()["code"] == "password_reused"
    r = await _change(client, account.headers, current, NEW[0])
    assert r.status_code == 422
    r = await _change(client, account.headers, current, NEW[4])
    assert r.status_code == 200
    account.password = current = NEW[4]
    await log_in(client, account)
    # Now PASSWORD has fallen out of the 5-entry history.
    r = await _change(client, account.headers, current, PASSWORD)
    assert r.status_code == 200


async def test_change_password_revokes_other_sessions(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox)
    old_refresh = account.refresh_token
    r = await _change(client, account.headers, PASSWORD, NEW[0])
    assert r.status_code == 200
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": old_refresh})
    assert r.status_code == 401


async def test_change_password_requires_auth(client: httpx.AsyncClient) -> None:
    r = await _change(client, {}, PASSWORD, NEW[0])
    assert r.status_code == 401
