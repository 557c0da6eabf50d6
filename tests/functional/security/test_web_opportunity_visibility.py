"""Issue #27, item 5: the web page of an opportunity shows a professional the same projects
the API does: open ones (plus the one they were matched on); a cancelled or otherwise
non-open project is a 404 page, as it is a 404 problem in the API."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.factories.accounts import register
from tests.factories.projects import API, post_project
from tests.functional.web.helpers import web_login


async def test_a_non_open_project_is_hidden_on_the_web_as_in_the_api(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    project = await post_project(client, owner)
    pid = project["id"]
    await web_login(client, pro)
    assert (await client.get(f"/opportunities/{pid}")).status_code == 200  # open: visible

    r = await client.post(f"{API}/projects/{pid}/cancel", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    api = await client.get(f"{API}/projects/{pid}", headers=pro.headers)
    assert api.status_code == 404
    page = await client.get(f"/opportunities/{pid}")
    assert page.status_code == 404
    assert project["title"] not in page.text
