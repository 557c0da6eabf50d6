"""Issue #27, item 12: the ownership matrix covers the web views, not only the JSON API. A
signed-in stranger of the right role, holding a valid CSRF token of their own session, tries
every page and form that names another user's object; each answer is a refusal page (403 or
404), and the objects are unchanged afterwards. Admin forms refuse non-admins the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories.accounts import Account, register
from tests.functional.fuzz.world import World, build
from tests.functional.web.helpers import csrf_token, web_login

# In process only: a second cookie jar on the same app.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
REFUSED = {403, 404}
SERVICE_FORM = {"title": "Robado por otro usuario", "description": "x" * 40, "price": "1000"}

# (method, path template, stranger's role, form). Each names an object the victims own.
WEB_BOLA: list[tuple[str, str, str, dict[str, str] | None]] = [
    ("GET", "/my/services/{service_id}/edit", "professional", None),
    ("POST", "/my/services/{service_id}/edit", "professional", SERVICE_FORM),
    ("POST", "/my/services/{service_id}/delete", "professional", {}),
    ("GET", "/my/projects/{project_id}", "client", None),
    ("POST", "/proposals/{proposal_id}/accept", "client", {}),
    ("POST", "/proposals/{proposal_id}/reject", "client", {}),
    ("GET", "/jobs/{job_id}", "client", None),
    ("GET", "/jobs/{job_id}", "professional", None),
    ("GET", "/jobs/{job_id}/review", "client", None),
    ("POST", "/jobs/{job_id}/review", "client", {"rating": "1", "comment": "Pésimo " * 5}),
    ("POST", "/jobs/{job_id}/contact", "client", {}),
    ("POST", "/jobs/{job_id}/start", "professional", {}),
    ("POST", "/jobs/{job_id}/completion-request", "professional", {}),
    ("POST", "/jobs/{job_id}/completion-confirm", "client", {}),
    ("POST", "/jobs/{job_id}/completion-decline", "client", {}),
    ("POST", "/service-requests/{request_id}/accept", "professional", {}),
    ("POST", "/service-requests/{request_id}/reject", "professional", {}),
    ("GET", "/checkout/sandbox/{preference_id}", "client", None),
    ("POST", "/checkout/sandbox/{preference_id}", "client", {"outcome": "approved"}),
    ("GET", "/jobs/{job_id}/milestones", "client", None),
    ("POST", "/jobs/{job_id}/milestones/accept", "client", {}),
    ("POST", "/jobs/{job_id}/milestones", "professional", {"title": "Ajena", "amount": "1"}),
    ("POST", "/milestones/{milestone_id}/fund", "client", {}),
    ("POST", "/milestones/{milestone_id}/done", "professional", {}),
    ("POST", "/milestones/{milestone_id}/approve", "client", {}),
    ("POST", "/milestones/{milestone_id}/dispute", "client", {"reason": "Disputa ajena"}),
    ("GET", "/payments/{payment_id}/receipt", "client", None),
    ("GET", "/messages/{conversation_id}", "client", None),
    ("GET", "/messages/{conversation_id}", "professional", None),
    ("POST", "/messages/{conversation_id}", "client", {"body": "Me meto en la charla"}),
    ("POST", "/messages/{conversation_id}/read", "client", {}),
    ("POST", "/messages/{conversation_id}/archive", "professional", {"archived": "1"}),
    ("POST", "/messages/{conversation_id}/report/{message_id}", "client", {"reason": "Ajena"}),
]
ADMIN_FORMS = [
    ("/admin/reviews/{review_id}/hide", {"reason": "Sin permisos para esto"}),
    ("/admin/disputes/{job_id}", {"outcome": "cancelled", "resolution": "Sin permisos " * 3}),
    ("/admin/verifications/01a25089-a992-7df7-8fb4-aea2e90cf1a4", {"decision": "approve"}),
    ("/admin/milestones/{milestone_id}/resolve", {"outcome": "release"}),
    ("/admin/conversations/{conversation_id}/resolve", {"reason": "Sin permisos para esto"}),
]
ADMIN_PAGES = ["/admin/conversations", "/admin/conversations/{conversation_id}"]


@pytest.fixture
async def world(client: httpx.AsyncClient, outbox: Path, app: Any) -> World:
    return await build(client, outbox, app.state.engine)


def _browser(app: Any) -> httpx.AsyncClient:
    """A cookie jar of its own on the same app as `client`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def strangers(
    client: httpx.AsyncClient, outbox: Path, app: Any
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A signed-in browser per role."""
    async with _browser(app) as pro, _browser(app) as buyer:
        browsers = {"professional": pro, "client": buyer}
        for role, browser in browsers.items():
            await web_login(browser, await register(client, outbox, role=role, login=False))
        yield browsers


async def _attempt(
    browser: httpx.AsyncClient, method: str, url: str, form: dict[str, str] | None
) -> httpx.Response:
    if form is None:
        return await browser.get(url)
    token = await csrf_token(browser, "/account")
    return await browser.post(url, data={**form, "csrf_token": token})


async def test_strangers_reach_no_owned_object_through_the_web(
    client: httpx.AsyncClient, world: World, strangers: dict[str, httpx.AsyncClient], app: Any
) -> None:
    # Controls: each stranger's own token passes CSRF, so a refusal below is about ownership.
    for browser in strangers.values():
        r = await _attempt(browser, "POST", "/lang", {"lang": "es_AR", "next": "/"})
        assert r.status_code == 303, r.text[:300]
    leaks = []
    for method, template, role, form in WEB_BOLA:
        url = template.format(**world.ids)
        r = await _attempt(strangers[role], method, url, form)
        if r.status_code not in REFUSED or "text/html" not in r.headers["content-type"]:
            leaks.append((method, template, role, r.status_code, r.text[:120]))
    assert leaks == []
    await _owners_still_see_their_objects(client, world)
    # And the owner's own browser reaches the same pages.
    async with _browser(app) as own:
        await web_login(own, world.accounts["client"])
        for path in ("/my/projects/{project_id}", "/jobs/{job_id}"):
            assert (await own.get(path.format(**world.ids))).status_code == 200, path


async def _owners_still_see_their_objects(client: httpx.AsyncClient, world: World) -> None:
    owner, pro = world.accounts["client"], world.accounts["professional"]
    ids = world.ids
    r = await client.get(f"{API}/services/{ids['service_id']}", headers=pro.headers)
    assert r.status_code == 200 and r.json()["title"] != SERVICE_FORM["title"]
    r = await client.get(f"{API}/projects/{ids['project_id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "open"
    r = await client.get(f"{API}/service-requests/{ids['request_id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    r = await client.get(f"{API}/jobs/{ids['job_id']}/reviews", headers=owner.headers)
    assert [x["rating"] for x in r.json() if x["id"] != ids["review_id"]] == []
    r = await client.get(f"{API}/payments/{ids['payment_id']}", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] != "approved"
    conversation = f"{API}/conversations/{ids['conversation_id']}"
    r = await client.get(f"{conversation}/messages", headers=owner.headers)
    assert [m["id"] for m in r.json()["items"]] == [ids["message_id"]]
    assert r.json()["items"][0]["read_at"] is None
    r = await client.get(conversation, headers=pro.headers)
    assert r.status_code == 200 and not r.json()["archived"] and not r.json()["reported"]


async def test_only_admins_use_the_admin_forms(
    client: httpx.AsyncClient, world: World, strangers: dict[str, httpx.AsyncClient]
) -> None:
    for template, form in ADMIN_FORMS:
        url = template.format(**world.ids)
        for role, browser in strangers.items():
            r = await _attempt(browser, "POST", url, form)
            assert r.status_code == 403, (template, role, r.status_code)
    for template in ADMIN_PAGES:
        for role, browser in strangers.items():
            r = await browser.get(template.format(**world.ids))
            assert r.status_code == 403, (template, role, r.status_code)
            assert "text/html" in r.headers["content-type"]
    boss: Account = world.accounts["admin"]
    r = await client.get(f"{API}/admin/disputes", headers=boss.headers)
    assert r.status_code == 200
    r = await client.get(f"{API}/jobs/{world.ids['job_id']}/reviews", headers=boss.headers)
    assert all(not x.get("hidden") for x in r.json())
