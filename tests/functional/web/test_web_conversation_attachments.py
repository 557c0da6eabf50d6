"""Images on the conversation page's form (issue #23): a multipart POST that works without
JavaScript, the image shown in both parties' thread, and a refused file answered with the
conversation page and a readable reason, with nothing stored."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixia.config import Settings
from tests.factories.accounts import Account
from tests.factories.catalog import DbExec, sql_value
from tests.factories.conversations import proposal_conversation
from tests.factories.media import jpeg
from tests.factories.projects import API
from tests.functional.web.helpers import csrf_token, web_login

# In process: media processing runs right after the commit there (the stack's worker would
# make the page wait for it).
pytestmark = pytest.mark.inprocess
SHOWN = re.compile(r'<img src="[^"]*/media/p/[^"]+" alt="Imagen adjunta"')


async def _messages(client: httpx.AsyncClient, who: Account, conv_id: str) -> list[Any]:
    r = await client.get(f"{API}/conversations/{conv_id}/messages", headers=who.headers)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


async def test_an_image_sent_from_the_form_shows_in_both_threads(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    await web_login(client, owner)
    page = f"/messages/{conv['id']}"
    form = await client.get(page)
    assert 'enctype="multipart/form-data"' in form.text and 'type="file" name="file"' in form.text
    token = await csrf_token(client, page)
    files = {"file": ("pared.jpg", jpeg(800, 600), "image/jpeg")}
    r = await client.post(page, data={"csrf_token": token, "body": "Así quedó"}, files=files)
    assert r.status_code == 303, r.text[:500]
    assert SHOWN.search((await client.get(r.headers["location"])).text)

    # An image alone is a message too; an empty form is not.
    files = {"file": ("techo.png", jpeg(300, 300), "image/png")}
    r = await client.post(page, data={"csrf_token": token, "body": ""}, files=files)
    assert r.status_code == 303, r.text[:500]
    r = await client.post(page, data={"csrf_token": token, "body": " "})
    assert r.status_code == 422 and "adjuntá una imagen" in r.text

    items = await _messages(client, pro, conv["id"])
    assert [m["body"] for m in items] == ["", "Así quedó"]
    assert all(len(m["attachments"]) == 1 and m["attachments"][0]["url"] for m in items)
    client.cookies.clear()
    await web_login(client, pro)
    assert len(SHOWN.findall((await client.get(page)).text)) == 2


async def test_a_bad_file_gets_a_readable_page_and_stores_nothing(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec, settings: Settings
) -> None:
    owner, pro, _proposal, conv = await proposal_conversation(client, outbox)
    await web_login(client, owner)
    page = f"/messages/{conv['id']}"
    token = await csrf_token(client, page)
    for name, data in (("x.jpg", b"<svg onload=alert(1)/>"), ("vacio.png", b"GIF89a")):
        r = await client.post(
            page,
            data={"csrf_token": token, "body": "Te mando la foto"},
            files={"file": (name, data, "image/jpeg")},
        )
        assert r.status_code == 415, r.status_code
        assert "text/html" in r.headers["content-type"]
        assert "El archivo no es una imagen" in r.text
        assert "Te mando la foto" in r.text  # the text is kept for the next try
    assert await _messages(client, pro, conv["id"]) == []
    owner_id = sql_value(settings, uuid.UUID(owner.id))
    rows = await db_exec("SELECT count(*) FROM media_assets WHERE owner_id = :o", o=owner_id)
    assert rows == [(0,)]
