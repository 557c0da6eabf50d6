"""/me, the professional profile, public profiles, roles and soft delete."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import PASSWORD, register

API = "/api/v1"


async def test_update_me(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    r = await client.put(
        f"{API}/me",
        headers=account.headers,
        json={
            "name": "Ana Jones",
            "location": "Gaiman, Chubut",
            "phone": "+54 9 280 411-9988",
            "bio": "Hola",
            "timezone": "America/Argentina/Buenos_Aires",
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["name"] == "Ana Jones" and data["location"] == "Gaiman, Chubut"
    assert data["phone_masked"].endswith("88") and "9988" not in data["phone_masked"]
    assert data["timezone"] == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "admin"},
        {"verified": True},
        {"plan": "professional"},
        {"email": "x@example.com"},
        {"name": None},
        {"name": "x" * 101},
        {"timezone": "Not a zone!"},
        {"avatar_url": "http://insecure.example.com/a.png"},
    ],
)
async def test_update_me_rejects_bad_input(
    client: httpx.AsyncClient, outbox: Path, body: dict[str, object]
) -> None:
    account = await register(client, outbox)
    r = await client.put(f"{API}/me", headers=account.headers, json=body)
    assert r.status_code == 422, r.text
    me = (await client.get(f"{API}/me", headers=account.headers)).json()
    assert me["role"] == "client" and me["verified"] is False and me["plan"] == "free"


async def test_professional_profile_update_and_public_view(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    r = await client.put(
        f"{API}/me/professional-profile",
        headers=pro.headers,
        json={
            "bio": "Gasista matriculado",
            "specialties": ["gas", "agua"],
            "years_experience": 12,
            "availability": "busy",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["specialties"] == ["gas", "agua"]
    public = await client.get(f"{API}/professionals/{pro.id}")
    assert public.status_code == 200
    data = public.json()
    assert data["profile"]["years_experience"] == 12
    assert data["profile"]["availability"] == "busy"
    # The phone's digits as registered ("455-1234"), not "455" alone: ids are random hex.
    for secret in (pro.email, "455-1234", "4551234", "dni", "phone"):
        assert secret not in public.text


@pytest.mark.parametrize(
    "body",
    [
        {"years_experience": 51},
        {"specialties": []},
        {"rating": 5},
        {"level": "TopRatedPlus"},
        {"review_count": 100},
        {"availability": "asleep"},
    ],
)
async def test_profile_rejects_protected_or_invalid_fields(
    client: httpx.AsyncClient, outbox: Path, body: dict[str, object]
) -> None:
    pro = await register(client, outbox, role="professional")
    r = await client.put(f"{API}/me/professional-profile", headers=pro.headers, json=body)
    assert r.status_code == 422


async def test_client_has_no_professional_profile(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox)
    r = await client.put(
        f"{API}/me/professional-profile", headers=account.headers, json={"bio": "x"}
    )
    assert r.status_code == 403
    r = await client.get(f"{API}/professionals/{account.id}")
    assert r.status_code == 404


async def test_public_professional_unknown(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{API}/professionals/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.json()["code"] == "user_not_found"
    r = await client.get(f"{API}/professionals/not-a-uuid")
    assert r.status_code == 422


async def test_soft_delete_anonymises_and_blocks(
    client: httpx.AsyncClient, outbox: Path, db_exec
) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox, role="professional")
    r = await client.delete(f"{API}/me", headers=account.headers)
    assert r.status_code == 204
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
    r = await client.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
    assert r.status_code == 401
    r = await client.post(f"{API}/auth/refresh", json={"refresh_token": account.refresh_token})
    assert r.status_code == 401
    rows = await db_exec("SELECT email, name, dni, phone_encrypted, deleted_at FROM users")
    assert len(rows) == 1
    email, name, dni, phone, deleted_at = rows[0]
    assert str(email).startswith("deleted_") and name == "Usuario eliminado"
    assert dni is None and phone is None and deleted_at is not None
    assert (await client.get(f"{API}/professionals/{account.id}")).status_code == 404
    # The e-mail and DNI are free again.
    again = await client.post(f"{API}/auth/register", json={**account_registration(account)})
    assert again.status_code == 201


def account_registration(account) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from tests.factories.accounts import registration

    return registration("client", email=account.email)


async def test_suspended_user_cannot_use_token(
    client: httpx.AsyncClient, outbox: Path, db_exec
) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox)
    await db_exec("UPDATE users SET suspended_at = created_at")
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
    r = await client.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
    assert r.status_code == 401


async def test_locked_user_token_rejected(client: httpx.AsyncClient, outbox: Path, db_exec) -> None:  # type: ignore[no-untyped-def]
    account = await register(client, outbox)
    await db_exec("UPDATE users SET locked_until = :t", t=datetime(2999, 1, 1))
    assert (await client.get(f"{API}/me", headers=account.headers)).status_code == 401
