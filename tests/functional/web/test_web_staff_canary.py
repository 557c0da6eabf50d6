"""Staff see a release first (issue #29, routing): a signed-in admin's pages carry the cookie
HAProxy routes to the canary slot during a deploy; anyone else's never do, and it goes away
when the admin signs out."""

from __future__ import annotations

from pathlib import Path

import httpx

from fixia.accounts.web_session import STAFF_CANARY_COOKIE
from tests.factories.accounts import register
from tests.factories.admin import admin as make_admin
from tests.factories.catalog import DbExec
from tests.functional.web.helpers import post_form, web_login


async def test_admins_get_the_staff_canary_cookie_and_lose_it_at_sign_out(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    boss = await make_admin(client, outbox, db_exec)
    client.cookies.clear()
    await web_login(client, boss)
    page = await client.get("/account")
    assert page.status_code == 200
    assert client.cookies.get(STAFF_CANARY_COOKIE) == "always"

    r = await post_form(client, "/logout", {}, from_page="/account")
    assert r.status_code == 303
    assert client.cookies.get(STAFF_CANARY_COOKIE) is None


async def test_other_users_never_get_it(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox, role="client")
    client.cookies.clear()
    await web_login(client, account)
    assert (await client.get("/account")).status_code == 200
    assert (await client.get("/")).status_code == 200
    assert client.cookies.get(STAFF_CANARY_COOKIE) is None
