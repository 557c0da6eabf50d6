"""The inbox and the conversation page without JavaScript: forms and reloads do it all."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.factories.accounts import register
from tests.factories.conversations import proposal_conversation, send
from tests.factories.projects import API, apply, post_project
from tests.functional.web.helpers import post_form, web_login

BADGE = re.compile(r"data-unread-badge( hidden)?><span data-unread-number>(\d+)</span>")


def badge(html: str) -> tuple[bool, int]:
    found = BADGE.search(html)
    assert found, html[:800]
    return found.group(1) is None, int(found.group(2))


async def test_inbox_conversation_send_read_archive_report(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    await send(client, pro, conv["id"], "Hola, ¿te queda bien el jueves?")
    await web_login(client, owner)

    inbox = await client.get("/messages")
    assert inbox.status_code == 200
    assert f'href="/messages/{conv["id"]}"' in inbox.text
    assert badge(inbox.text) == (True, 1)

    page = await client.get(f"/messages/{conv['id']}")
    assert "¿te queda bien el jueves?" in page.text
    # Opening the page read it: the badge is gone on the next page.
    assert badge((await client.get("/messages")).text) == (False, 0)

    url = f"/messages/{conv['id']}"
    r = await post_form(client, url, {"body": "Sí, llamame al 0280 4551234"}, from_page=url)
    assert r.status_code == 303 and "masked=phone" in r.headers["location"]
    page = await client.get(r.headers["location"])
    assert "Ocultamos datos de contacto" in page.text
    assert "4551234" not in page.text
    items = (
        await client.get(f"{API}/conversations/{conv['id']}/messages", headers=pro.headers)
    ).json()["items"]
    assert items[0]["body"] == "Sí, llamame al [dato de contacto oculto]"

    r = await post_form(client, url, {"body": ""}, from_page=url)
    assert r.status_code == 422

    r = await post_form(client, f"{url}/archive", {"archived": "1"}, from_page=url)
    assert r.status_code == 303
    assert conv["id"] not in (await client.get("/messages")).text
    assert conv["id"] in (await client.get("/messages?archived=1")).text

    r = await post_form(
        client, f"{url}/report/{items[1]['id']}", {"reason": "Insistente"}, from_page=url
    )
    assert r.status_code == 303 and "ok=reported" in r.headers["location"]


async def test_strangers_get_a_404_page(client: httpx.AsyncClient, outbox: Path) -> None:
    _owner, _pro, proposal, conv = await proposal_conversation(client, outbox)
    stranger = await register(client, outbox)
    await web_login(client, stranger)
    r = await client.get(f"/messages/{conv['id']}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    r = await post_form(client, f"/messages/open/proposal/{proposal['id']}", {}, "/messages")
    assert r.status_code == 404


async def test_the_buttons_open_the_conversation(client: httpx.AsyncClient, outbox: Path) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    project = await post_project(client, owner)
    proposal = await apply(client, pro, project["id"])
    await web_login(client, owner)
    detail = await client.get(f"/my/projects/{project['id']}")
    assert f"/messages/open/proposal/{proposal['id']}" in detail.text
    r = await post_form(client, f"/messages/open/proposal/{proposal['id']}", {}, "/messages")
    assert r.status_code == 303
    page = await client.get(r.headers["location"])
    assert page.status_code == 200 and "Todavía no hay mensajes" in page.text
