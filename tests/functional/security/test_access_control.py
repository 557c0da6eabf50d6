"""OWASP API1 (BOLA) and API5 (BFLA): nobody reaches another user's objects, and only admins
reach admin functions. Every owned resource is attacked by a stranger of the same role."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia.config import Settings
from fixia.main import create_app
from tests.factories.accounts import Account, register
from tests.factories.catalog import DbExec
from tests.factories.payments import subscribe
from tests.functional.fuzz.world import World, build

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
DENIED = {401, 403, 404, 410}
REASON = {"reason": "Intento de acceso indebido"}

# (method, path template, attacker role, body). Each names an object the victims own.
BOLA = [
    ("PATCH", "/services/{service_id}", "professional", {"title": "Robado por otro usuario"}),
    ("DELETE", "/services/{service_id}", "professional", None),
    ("PUT", "/services/{service_id}/active", "professional", {"active": False}),
    ("GET", "/projects/{project_id}/proposals", "client", None),
    ("PATCH", "/projects/{project_id}", "client", {"title": "Proyecto ajeno modificado"}),
    ("DELETE", "/projects/{project_id}", "client", None),
    ("POST", "/projects/{project_id}/cancel", "client", None),
    ("POST", "/proposals/{proposal_id}/withdraw", "professional", None),
    ("POST", "/proposals/{proposal_id}/accept", "client", None),
    ("POST", "/proposals/{proposal_id}/reject", "client", None),
    ("GET", "/service-requests/{request_id}", "client", None),
    ("DELETE", "/service-requests/{request_id}", "client", None),
    ("POST", "/service-requests/{request_id}/accept", "professional", None),
    ("POST", "/service-requests/{request_id}/reject", "professional", None),
    ("GET", "/jobs/{job_id}", "client", None),
    ("POST", "/jobs/{job_id}/dispute", "client", {"reason": "No terminó el trabajo acordado"}),
    ("POST", "/jobs/{job_id}/cancel", "client", REASON),
    ("POST", "/jobs/{job_id}/payments", "client", None),
    ("POST", "/jobs/{job_id}/reviews", "client", {"rating": 1, "comment": "Pésimo " * 5}),
    ("GET", "/matches/{match_id}", "client", None),
    ("POST", "/matches/{match_id}/contact-reveal", "client", None),
    ("PATCH", "/reviews/{review_id}", "client", {"comment": "Reseña cambiada por otro " * 2}),
    ("POST", "/notifications/{notification_id}/read", "professional", None),
    ("DELETE", "/notifications/{notification_id}", "professional", None),
    ("GET", "/payments/{payment_id}", "client", None),
    ("GET", "/jobs/{job_id}/milestones", "client", None),
    ("PUT", "/jobs/{job_id}/milestones", "client", {"milestones": [{"title": "M", "amount": "1"}]}),
    ("POST", "/jobs/{job_id}/milestones/accept", "client", None),
    ("POST", "/milestones/{milestone_id}/fund", "client", None),
    ("POST", "/milestones/{milestone_id}/done", "professional", None),
    ("POST", "/milestones/{milestone_id}/approve", "client", None),
    ("POST", "/milestones/{milestone_id}/dispute", "client", {"reason": "Una disputa ajena"}),
    # Conversations (issue #23): only the two parties, whatever the caller's role.
    ("GET", "/conversations/{conversation_id}", "client", None),
    ("GET", "/conversations/{conversation_id}/messages", "client", None),
    ("POST", "/conversations/{conversation_id}/messages", "client", {"body": "Me meto"}),
    ("POST", "/conversations/{conversation_id}/messages", "professional", {"body": "Hola"}),
    ("POST", "/conversations/{conversation_id}/read", "client", None),
    ("PUT", "/conversations/{conversation_id}/archived", "professional", {"archived": True}),
    (
        "POST",
        "/conversations/{conversation_id}/messages/{message_id}/report",
        "client",
        {"reason": "Denuncia de un tercero"},
    ),
    (
        "POST",
        "/conversations",
        "client",
        {"context_type": "proposal", "context_id": "{proposal_id}"},
    ),
    ("POST", "/conversations", "professional", {"context_type": "job", "context_id": "{job_id}"}),
]


@pytest.fixture
async def world(client: httpx.AsyncClient, outbox: Path, app: Any) -> World:
    return await build(client, outbox, app.state.engine)


@pytest.fixture
async def strangers(client: httpx.AsyncClient, outbox: Path) -> dict[str, Account]:
    return {
        "client": await register(client, outbox, role="client"),
        "professional": await register(client, outbox, role="professional"),
    }


async def test_strangers_reach_no_owned_object(
    client: httpx.AsyncClient, world: World, strangers: dict[str, Account]
) -> None:
    leaks = []
    for method, template, role, body in BOLA:
        url = API + template.format(**world.ids)
        headers = {**strangers[role].headers, "Idempotency-Key": "bola-attempt-1"}
        if isinstance(body, dict):
            body = {k: v.format(**world.ids) if isinstance(v, str) else v for k, v in body.items()}
        r = await client.request(method, url, json=body, headers=headers)
        if r.status_code not in DENIED:
            leaks.append((method, template, r.status_code, r.text[:120]))
    assert leaks == []
    # The objects are untouched: their owners still see them as before.
    owner, pro = world.accounts["client"], world.accounts["professional"]
    r = await client.get(f"{API}/services/{world.ids['service_id']}", headers=pro.headers)
    assert r.status_code == 200 and r.json()["title"] != "Robado por otro usuario"
    r = await client.get(f"{API}/projects/{world.ids['project_id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = await client.get(f"{API}/payments/{world.ids['payment_id']}", headers=owner.headers)
    assert r.status_code == 200
    # The conversation holds only the professional's message, unread, unarchived, unreported.
    conv = f"{API}/conversations/{world.ids['conversation_id']}"
    r = await client.get(conv, headers=owner.headers)
    assert r.status_code == 200 and r.json()["unread"] == 1
    assert not r.json()["archived"] and not r.json()["reported"]
    r = await client.get(f"{conv}/messages", headers=pro.headers)
    assert [m["sender_id"] for m in r.json()["items"]] == [pro.id]


async def test_per_user_collections_only_list_the_callers_objects(
    client: httpx.AsyncClient, world: World, strangers: dict[str, Account]
) -> None:
    stranger = strangers["client"]
    for path in (
        "/projects/mine",
        "/jobs/mine",
        "/payments/mine",
        "/service-requests/sent",
        "/conversations",
        "/conversations?archived=true",
    ):
        r = await client.get(API + path, headers=stranger.headers)
        assert r.status_code == 200, path
        body = r.json()
        items = body["items"] if isinstance(body, dict) else body
        assert items == [], path
    r = await client.get(f"{API}/notifications", headers=stranger.headers)
    own = {n["id"] for n in r.json()["items"]}
    assert world.ids["notification_id"] not in own
    # Payouts have no id in any URL: the report is the caller's own, and clients have none.
    r = await client.get(f"{API}/payouts/mine", headers=strangers["professional"].headers)
    assert (r.json()["payouts"], r.json()["account"]) == ([], None)
    r = await client.get(f"{API}/payouts/mine", headers=stranger.headers)
    assert r.status_code == 403
    r = await client.get(f"{API}/conversations/unread", headers=stranger.headers)
    assert r.json() == {"total": 0, "by_conversation": {}}


async def test_subscriptions_are_per_caller(
    client: httpx.AsyncClient, world: World, strangers: dict[str, Account], db_exec: DbExec
) -> None:
    """A subscription has no id in any URL: /subscriptions/me is always the caller's own."""
    owner = world.accounts["client"]
    assert (await subscribe(client, owner, "premium")).status_code == 201
    r = await client.delete(f"{API}/subscriptions/me", headers=strangers["client"].headers)
    assert r.status_code in (404, 409)
    [(status,)] = await db_exec("SELECT status FROM subscriptions")
    assert status == "pending"


def _admin_routes(settings: Settings) -> list[tuple[str, str]]:
    """From the OpenAPI document (test_inventory.py proves every route is in it)."""
    paths = create_app(settings).openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(f"{API}/admin")
        for method in operations
    ]


async def test_only_admins_reach_admin_functions(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    routes = _admin_routes(settings)
    assert len(routes) >= 10
    for method, template in routes:
        url = template.format(
            user_id=world.ids["user_id"],
            review_id=world.ids["review_id"],
            job_id=world.ids["job_id"],
            milestone_id=world.ids["milestone_id"],
            verification_id=uuid.uuid4(),
            conversation_id=world.ids["conversation_id"],
        )
        body = {"reason": "Sin permisos para esto", "role": "admin"}
        r = await client.request(method, url, json=body)
        assert r.status_code == 401, (method, template)
        for role in ("client", "professional"):
            headers = world.accounts[role].headers
            r = await client.request(method, url, json=body, headers=headers)
            assert r.status_code == 403, (method, template, role, r.text)
            assert r.json()["code"] == "role_required"
    # The professional was not promoted by any of the refused calls.
    r = await client.get(f"{API}/me", headers=world.accounts["professional"].headers)
    assert r.json()["role"] == "professional"


# Media (issue #21): the original had no ownership check on delete. Uploads go as multipart.
MEDIA_BOLA = [
    ("DELETE", "/media/{photo_id}", None),
    ("PATCH", "/media/{photo_id}", {"alt": "Cambiada por otro usuario"}),
    ("PUT", "/media/{photo_id}/file", "file"),
    ("GET", "/media/{document_id}", None),
    ("DELETE", "/media/{document_id}", None),
    ("GET", "/users/{owner_id}/documents", None),
    ("POST", "/services/{service_id}/photos", "file"),
    ("PUT", "/services/{service_id}/photos/order", {"ids": []}),
    ("PATCH", "/me/portfolio/{item_id}", {"title": "Robado por otro usuario"}),
    ("DELETE", "/me/portfolio/{item_id}", None),
]


async def test_strangers_reach_no_media(
    client: httpx.AsyncClient, world: World, strangers: dict[str, Account]
) -> None:
    from tests.factories.media import jpeg, pdf, upload

    pro = world.accounts["professional"]
    service_id = world.ids["service_id"]
    photo = await upload(client, pro, f"/services/{service_id}/photos", jpeg(40, 30))
    doc = await client.post(
        f"{API}/me/documents",
        files={"file": ("d.pdf", pdf(), "application/pdf")},
        data={"label": "license"},
        headers=pro.headers,
    )
    item = await client.post(f"{API}/me/portfolio", data={"title": "Obra"}, headers=pro.headers)
    ids = {
        "photo_id": photo.json()["id"], "document_id": doc.json()["id"], "owner_id": pro.id,
        "service_id": service_id, "item_id": item.json()["id"],
    }  # fmt: skip
    leaks = []
    for method, template, body in MEDIA_BOLA:
        url = API + template.format(**ids)
        headers = strangers["professional"].headers
        if body == "file":
            files = {"file": ("x.jpg", jpeg(40, 30, color="red"), "image/jpeg")}
            data = {"alt": "Foto de otro usuario"}
            r = await client.request(method, url, files=files, data=data, headers=headers)
        else:
            r = await client.request(method, url, json=body, headers=headers)
        if r.status_code not in DENIED:
            leaks.append((method, template, r.status_code, r.text[:120]))
    assert leaks == []
    r = await client.get(f"{API}/media/{ids['photo_id']}", headers=pro.headers)
    assert r.status_code == 200 and r.json()["alt"] != "Cambiada por otro usuario"
    listed = await client.get(f"{API}/professionals/{pro.id}/portfolio")
    assert [i["title"] for i in listed.json()] == ["Obra"]
