"""Registration, e-mail verification, login, lockout and tokens through the HTTP API."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import httpx
import jwt
import pytest

from fixia.config import Settings
from fixia.main import create_app
from tests.factories.accounts import (
    PASSWORD,
    adult_birthdate,
    last_link_token,
    last_mails,
    log_in,
    register,
    registration,
)

# Moves every exchanged refresh token's use past the concurrent-load grace window.
USED_LONG_AGO = "UPDATE refresh_tokens SET used_at = :t WHERE used_at IS NOT NULL"
API = "/api/v1"


async def test_register_client_returns_profile_without_secrets(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    body = registration("client")
    r = await client.post(f"{API}/auth/register", json=body)
    assert r.status_code == 201
    data = r.json()
    assert data["email"] == body["email"] and data["role"] == "client"
    assert data["email_verified"] is False and data["profile"] is None
    assert data["phone_masked"].endswith("34") and "455" not in data["phone_masked"]
    assert "password" not in r.text and body["dni"] not in r.text


async def test_register_professional_creates_profile(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional", experience="3-5")
    me = (await client.get(f"{API}/me", headers=pro.headers)).json()
    assert me["profile"]["years_experience"] == 4
    assert me["profile"]["specialties"] == ["plomeria"]
    assert me["profile"]["level"] == "Nuevo"
    assert me["is_professional_active"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "admin"),
        ("role", "dual"),
        ("dni", "123456"),
        ("dni", "123456789"),
        ("dni", "12a45678"),
        ("email", "not-an-email"),
        ("password", "short1!A"),
        ("password", "alllowercase-with-digit-1"),
        ("password", "Abcd-Patagonia-82!"),
        ("password", "Password123!"),
        ("phone", "call me"),
        ("name", "X"),
        ("birthdate", "not-a-date"),
        ("experience", "a lot"),
        ("gender", "other"),
    ],
)
async def test_register_rejects_invalid_fields(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    r = await client.post(f"{API}/auth/register", json=registration(**{field: value}))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_error"
    assert any(e["field"] == field for e in r.json()["errors"])


async def test_register_requires_adults(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/auth/register", json=registration(birthdate=adult_birthdate(17)))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "birthdate"
    r = await client.post(f"{API}/auth/register", json=registration(birthdate=adult_birthdate(18)))
    assert r.status_code == 201


async def test_register_rejects_unknown_fields(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/auth/register", json=registration(verified=True))
    assert r.status_code == 422
    r = await client.post(f"{API}/auth/register", json=registration(plan="professional"))
    assert r.status_code == 422


async def test_a_taken_email_or_dni_gets_the_same_answer_and_the_owner_is_told(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    """Registration must not tell a stranger which e-mails or DNIs have an account: a taken
    one gets the same status and body shape as a new one, and its owner an e-mail."""
    first = registration()
    created = await client.post(f"{API}/auth/register", json=first)
    assert created.status_code == 201
    fresh = await client.post(f"{API}/auth/register", json=registration())
    same_email = registration(email=first["email"].upper())
    same_dni = registration(dni=first["dni"])
    for body in (same_email, same_dni):
        r = await client.post(f"{API}/auth/register", json=body)
        assert r.status_code == fresh.status_code == 201
        assert set(r.json()) == set(fresh.json())
        assert r.json()["email"] == body["email"].lower()
        assert r.json()["id"] != created.json()["id"]

    # The owner hears of both attempts (over the stack the worker sends them a moment later).
    def notices() -> int:
        return sum("intentó registrarse" in b for b in last_mails(outbox, first["email"]))

    deadline = time.monotonic() + 20
    while notices() < 2 and time.monotonic() < deadline:  # noqa: ASYNC110 - files, no event
        await asyncio.sleep(0.1)
    assert notices() == 2
    assert not last_mails(outbox, same_dni["email"])  # nothing reaches the stranger


async def test_login_requires_verified_email(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox, verify=False)
    r = await client.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["code"] == "email_not_verified"


async def test_verification_token_is_single_use(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox, verify=False)
    token = last_link_token(outbox, account.email)
    assert (await client.post(f"{API}/auth/verify-email", json={"token": token})).status_code == 200
    r = await client.post(f"{API}/auth/verify-email", json={"token": token})
    assert r.status_code == 400 and r.json()["code"] == "invalid_link_token"


async def test_verification_token_expires(client: httpx.AsyncClient, outbox: Path, db_exec) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox, verify=False)
    token = last_link_token(outbox, account.email)
    await db_exec("UPDATE one_time_tokens SET expires_at = created_at")
    r = await client.post(f"{API}/auth/verify-email", json={"token": token})
    assert r.status_code == 400


async def test_resend_verification_invalidates_old_link(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, verify=False)
    old = last_link_token(outbox, account.email)
    r = await client.post(f"{API}/auth/resend-verification", json={"email": account.email})
    assert r.status_code == 202
    new = last_link_token(outbox, account.email, not_token=old)
    assert new != old
    assert (await client.post(f"{API}/auth/verify-email", json={"token": old})).status_code == 400
    assert (await client.post(f"{API}/auth/verify-email", json={"token": new})).status_code == 200


async def test_resend_verification_does_not_reveal_accounts(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/auth/resend-verification", json={"email": "nobody@example.com"})
    assert r.status_code == 202


async def test_login_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, login=False)
    wrong = await client.post(
        f"{API}/auth/login", json={"email": account.email, "password": "Wrong-Pass-928!"}
    )
    unknown = await client.post(
        f"{API}/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


@pytest.mark.inprocess  # two client addresses: HAProxy would show the suite's one
async def test_failures_throttle_only_the_failing_address_with_the_same_401(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    """Five wrong passwords from one address: that address gets the wrong-password answer
    even for the right password (nothing tells it the account exists or is throttled);
    the owner, from another address, logs in."""
    account = await register(client, outbox, login=False)
    app = create_app(settings)  # one app, one throttle, two client addresses

    def from_address(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 4000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    bad = {"email": account.email, "password": "Wrong-Pass-928!"}
    good = {"email": account.email, "password": PASSWORD}
    ghost = {"email": "ghost@example.com", "password": PASSWORD}
    async with from_address("203.0.113.7") as attacker, from_address("198.51.100.2") as owner:
        for _ in range(5):
            assert (await attacker.post(f"{API}/auth/login", json=bad)).status_code == 401
        throttled = await attacker.post(f"{API}/auth/login", json=good)
        unknown = await attacker.post(f"{API}/auth/login", json=ghost)
        assert throttled.status_code == unknown.status_code == 401
        assert throttled.json()["code"] == unknown.json()["code"] == "invalid_credentials"
        assert "retry-after" not in throttled.headers
        assert (await owner.post(f"{API}/auth/login", json=good)).status_code == 200
    await app.state.engine.dispose()


async def test_success_resets_failure_counter(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox, login=False)
    bad = {"email": account.email, "password": "Wrong-Pass-928!"}
    for _ in range(4):
        await client.post(f"{API}/auth/login", json=bad)
    await log_in(client, account)
    for _ in range(4):
        assert (await client.post(f"{API}/auth/login", json=bad)).status_code == 401
    await log_in(client, account)


async def test_access_token_has_kid_and_authenticates(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox)
    assert jwt.get_unverified_header(account.access_token)["kid"] == "k1"
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer a.b.c", "Basic abc"])
async def test_me_requires_valid_token(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = await client.get(f"{API}/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_refresh_rotates_and_reuse_revokes_family(
    client: httpx.AsyncClient,
    outbox: Path,
    db_exec,  # type: ignore[no-untyped-def]
) -> None:
    account = await register(client, outbox)
    first = account.refresh_token
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    # The old token comes back after the grace window: reuse is detected, the family dies.
    await db_exec(USED_LONG_AGO, t=datetime(2020, 1, 1))
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 401 and r.json()["code"] == "refresh_token_reused"
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": second})
    assert r.status_code == 401
    # Another login (another family) is unaffected.
    await log_in(client, account)
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 200


async def test_concurrent_refreshes_with_one_token_keep_the_session(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    """Two page loads refresh with the same token at once: both get tokens, nobody is
    logged out, and both new tokens work."""
    account = await register(client, outbox)
    body = {"refresh_token": account.refresh_token}
    first, second = [await client.post(f"{API}/auth/refresh", json=body) for _ in range(2)]
    assert first.status_code == second.status_code == 200
    for pair in (first.json(), second.json()):
        r = await client.post(f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 200


async def test_a_session_ends_however_often_it_rotates(
    client: httpx.AsyncClient,
    outbox: Path,
    db_exec,  # type: ignore[no-untyped-def]
) -> None:
    account = await register(client, outbox)
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    token = r.json()["refresh_token"]
    # The session's end travels with every rotation; once it passes, log in again.
    await db_exec("UPDATE refresh_tokens SET session_expires_at = created_at")
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    await log_in(client, account)
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 200


async def test_refresh_rejects_unknown_and_expired(
    client: httpx.AsyncClient, outbox: Path, db_exec
) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox)
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": "x" * 43})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    await db_exec("UPDATE refresh_tokens SET expires_at = created_at")
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 401


async def test_logout_revokes_session_and_access_token(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox)
    r = await client.post(
        f"{API}/auth/logout", headers=account.headers, json={"refresh_token": account.refresh_token}
    )
    assert r.status_code == 204
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 401


async def test_logout_everywhere(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    phone_refresh = account.refresh_token
    await log_in(client, account)
    r = await client.post(f"{API}/auth/logout", headers=account.headers, json={"everywhere": True})
    assert r.status_code == 204
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": phone_refresh})
    assert r.status_code == 401


async def test_logout_requires_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{API}/auth/logout")).status_code == 401
