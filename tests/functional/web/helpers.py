"""Browser-like requests in process: read the CSRF token from a page, post a form."""

from __future__ import annotations

import re

import httpx

from tests.factories.accounts import Account

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    r = await client.get(path)
    found = TOKEN.search(r.text)
    assert found, r.text[:500]
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], from_page: str = "/login"
) -> httpx.Response:
    token = await csrf_token(client, from_page)
    return await client.post(path, data={**data, "csrf_token": token})


async def web_login(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    r = await post_form(client, "/login", {"email": account.email, "password": account.password})
    assert r.status_code == 303, r.text[:2000]
    return r
