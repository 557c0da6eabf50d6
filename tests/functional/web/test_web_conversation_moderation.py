"""Reported conversations on the admin web pages (issue #23): the list, the read view and
the resolve form, without JavaScript, audited exactly as the API is."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.admin import admin as make_admin
from tests.factories.admin import audit_for
from tests.factories.catalog import DbExec
from tests.factories.conversations import proposal_conversation, send
from tests.factories.projects import API
from tests.functional.web.helpers import post_form, web_login


async def _reported(
    client: httpx.AsyncClient, outbox: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    message = await send(client, pro, conv["id"], "Mensaje ofensivo para el panel")
    r = await client.post(
        f"{API}/conversations/{conv['id']}/messages/{message['id']}/report",
        json={"reason": "Me insultó por el chat"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    return conv, message


async def _actions(client: httpx.AsyncClient, boss: Account, conv_id: str) -> list[str]:
    return [e["action"] for e in await audit_for(client, boss, "conversation", conv_id)]


async def test_admins_list_read_and_resolve_reported_conversations(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    conv, message = await _reported(client, outbox)
    _, _, _, quiet_conv = await proposal_conversation(client, outbox)
    boss = await make_admin(client, outbox, db_exec)
    await web_login(client, boss)

    listing = await client.get("/admin/conversations")
    assert listing.status_code == 200 and "text/html" in listing.headers["content-type"]
    assert f'href="/admin/conversations/{conv["id"]}"' in listing.text
    assert "Me insultó por el chat" in listing.text
    assert quiet_conv["id"] not in listing.text
    # Listing reads no message: nothing audited yet but the report.
    assert await _actions(client, boss, conv["id"]) == ["conversation.reported"]

    url = f"/admin/conversations/{conv['id']}"
    page = await client.get(url)
    assert page.status_code == 200
    assert "Mensaje ofensivo para el panel" in page.text
    assert f'id="m-{message["id"]}"' in page.text and "Mensaje denunciado" in page.text
    assert "<script" not in page.text.split("<main", 1)[-1].split("</main>", 1)[0]
    assert (await _actions(client, boss, conv["id"])).count("conversation.admin_read") == 1

    # A conversation nobody reported stays closed to admins, as in the API (403 page).
    r = await client.get(f"/admin/conversations/{quiet_conv['id']}")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    missing = await client.get(f"/admin/conversations/{uuid.uuid4()}")
    assert missing.status_code == 404

    r = await post_form(client, f"{url}/resolve", {"reason": "no"}, from_page=url)
    assert r.status_code == 422 and "Revisá los campos marcados." in r.text
    r = await post_form(client, f"{url}/resolve", {"reason": "Advertencia enviada"}, from_page=url)
    assert r.status_code == 303 and r.headers["location"] == "/admin/conversations?ok=moderated"
    after = await client.get(r.headers["location"])
    assert "Moderación registrada." in after.text
    assert conv["id"] not in after.text

    actions = await _actions(client, boss, conv["id"])
    assert actions.count("conversation.report_resolved") == 1
    # One per access, as in the API: the page, twice more for each form's CSRF token, the
    # 422 page and the resolve itself.
    assert actions.count("conversation.admin_read") == 5
    reports = (await client.get(f"{API}/admin/conversations/reports", headers=boss.headers)).json()
    assert conv["id"] not in [x["conversation_id"] for x in reports["items"]]


async def test_the_admin_pages_refuse_everyone_else(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    conv, _ = await _reported(client, outbox)
    owner, _, _, _ = await proposal_conversation(client, outbox)
    await web_login(client, owner)
    for path in ("/admin/conversations", f"/admin/conversations/{conv['id']}"):
        r = await client.get(path)
        assert r.status_code == 403 and "text/html" in r.headers["content-type"], path
    r = await post_form(
        client,
        f"/admin/conversations/{conv['id']}/resolve",
        {"reason": "Cerrada por un intruso"},
        from_page="/messages",
    )
    assert r.status_code == 403
