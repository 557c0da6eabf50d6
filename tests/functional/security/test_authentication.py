"""OWASP API2 (broken authentication) and API3 (mass assignment / BOPLA)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from fixia.config import Settings
from fixia.platform.security import issue_access_token
from tests.factories.accounts import Account, register, registration
from tests.factories.catalog import create_service, expect_problem

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user: Account, settings: Settings, **overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": user.id,
        "role": "admin",
        "tv": 0,
        "iss": settings.auth.jwt_issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    claims.update(overrides)
    return claims


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})


async def test_bad_tokens_are_refused(
    client: httpx.AsyncClient, outbox: Path, settings: Settings
) -> None:
    user = await register(client, outbox)
    assert (await _me(client, user.access_token)).status_code == 200
    kid = settings.auth.jwt_active_kid
    secret = settings.auth.jwt_keys[kid].get_secret_value()
    expired = issue_access_token(
        settings.auth,
        user_id=uuid.UUID(user.id),
        role="client",
        token_version=0,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    forged = jwt.encode(_claims(user, settings), "not-the-key-" + "x" * 40, headers={"kid": kid})
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(user, settings))}."
    unknown_kid = jwt.encode(_claims(user, settings), secret, headers={"kid": "k-unknown"})
    no_kid = jwt.encode(_claims(user, settings), secret)
    # Built by hand: PyJWT warns (rightly) about the key length for HS512.
    signing_input = (
        f"{_b64({'alg': 'HS512', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(user, settings))}"
    )
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha512).digest()
    wrong_alg = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    wrong_issuer = jwt.encode(_claims(user, settings, iss="evil"), secret, headers={"kid": kid})
    tampered = user.access_token[:-4] + (
        "AAAA" if not user.access_token.endswith("AAAA") else "BBBB"
    )
    for name, token in {
        "expired": expired,
        "forged signature": forged,
        "alg none": alg_none,
        "unknown kid": unknown_kid,
        "no kid": no_kid,
        "HS512 instead of HS256": wrong_alg,
        "wrong issuer": wrong_issuer,
        "tampered": tampered,
        "garbage": "not.a.token",
    }.items():
        r = await _me(client, token)
        assert r.status_code == 401, name
        assert r.json()["code"] == "invalid_token", name
        assert r.headers["WWW-Authenticate"] == "Bearer", name


async def test_refresh_token_reuse_revokes_the_family(
    client: httpx.AsyncClient,
    outbox: Path,
    db_exec,  # type: ignore[no-untyped-def]
) -> None:
    user = await register(client, outbox)
    first = user.refresh_token
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    # Past the grace window for concurrent page loads.
    await db_exec(
        "UPDATE refresh_tokens SET used_at = :t WHERE used_at IS NOT NULL", t=datetime(2020, 1, 1)
    )
    # The stolen first token comes back: refused, and the legitimate successor dies with it.
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 401
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": second})
    assert r.status_code == 401


async def test_logout_kills_outstanding_access_tokens(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    user = await register(client, outbox)
    r = await client.post(f"{API}/auth/logout", json={}, headers=user.headers)
    assert r.status_code == 204
    assert (await _me(client, user.access_token)).status_code == 401


async def test_role_cannot_be_chosen_or_changed_by_its_owner(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    r = await client.post(f"{API}/auth/register", json=registration(role="admin"))
    assert r.status_code == 422
    for extra in ({"verified": True}, {"plan": "professional"}, {"email_verified": True}):
        r = await client.post(f"{API}/auth/register", json=registration(**extra))
        assert r.status_code == 422, extra
    user = await register(client, outbox)
    for field, value in {
        "role": "admin",
        "verified": True,
        "plan": "professional",
        "plan_expires_at": "2099-01-01T00:00:00Z",
        "email": "otro@example.com.ar",
        "token_version": 0,
        "rating": 5,
    }.items():
        r = await client.put(f"{API}/me", json={field: value}, headers=user.headers)
        expect_problem(r, 422, "validation_error")
    me = (await _me(client, user.access_token)).json()
    assert (me["role"], me["verified"], me["plan"]) == ("client", False, "free")


async def test_professional_cannot_set_rating_verified_or_counters(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    service = await create_service(client, pro)
    for field, value in {
        "rating": 5,
        "review_count": 999,
        "view_count": 10_000,
        "professional_id": str(uuid.uuid4()),
        "verified": True,
        "featured": True,
    }.items():
        r = await client.patch(
            f"{API}/services/{service['id']}", json={field: value}, headers=pro.headers
        )
        assert r.status_code == 422, field
    r = await client.put(
        f"{API}/me/professional-profile",
        json={"rating": 5, "review_count": 100, "verified": True},
        headers=pro.headers,
    )
    assert r.status_code == 422
    me = (await _me(client, pro.access_token)).json()
    assert me["verified"] is False
    assert me["profile"]["rating"] in (None, 0, "0", "0.0", "0.00")
