"""Issue #27, item 3: CSRF tokens are bound to the login session, unsafe requests from a
foreign Origin (or Referer) are refused, and over https the cookies carry `__Host-`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from fixia.config import Settings, WebSettings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import register
from tests.functional.web.helpers import csrf_token, web_login

# In process only: several browsers share one app.
pytestmark = pytest.mark.inprocess


@asynccontextmanager
async def browsers(
    settings: Settings, outbox: Path, base_url: str = "http://testserver"
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    app = create_app(settings, mailer=OutboxEmailSender(outbox, "t@fixia"))
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url=base_url) as one,
        httpx.AsyncClient(transport=transport, base_url=base_url) as two,
    ):
        yield one, two
    await app.state.engine.dispose()


def plant(browser: httpx.AsyncClient, token: str) -> None:
    """What a cookie-injection (e.g. from a sibling subdomain) does: replace the CSRF cookie."""
    browser.cookies.delete("csrf_token")
    browser.cookies.set("csrf_token", token)


async def test_a_token_from_another_session_is_refused(settings: Settings, outbox: Path) -> None:
    async with browsers(settings, outbox) as (alice, mallory):
        await web_login(alice, await register(alice, outbox, login=False))
        await web_login(mallory, await register(mallory, outbox, login=False))
        # Mallory's own, valid token and cookie, planted in Alice's browser.
        stolen = await csrf_token(mallory, "/account")
        plant(alice, stolen)
        r = await alice.post("/lang", data={"lang": "en", "csrf_token": stolen})
        assert r.status_code == 403
        alice.cookies.delete("csrf_token")
        own = await csrf_token(alice, "/account")
        r = await alice.post("/lang", data={"lang": "en", "csrf_token": own})
        assert r.status_code == 303


async def test_an_anonymous_token_does_not_pass_in_a_signed_in_session(
    settings: Settings, outbox: Path
) -> None:
    async with browsers(settings, outbox) as (alice, stranger):
        await web_login(alice, await register(alice, outbox, login=False))
        anonymous = await csrf_token(stranger, "/login")
        plant(alice, anonymous)
        r = await alice.post("/lang", data={"lang": "en", "csrf_token": anonymous})
        assert r.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:8000.evil.example"},
        {"Referer": "https://evil.example/page"},
    ],
)
async def test_a_foreign_origin_is_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    token = await csrf_token(client)
    r = await client.post("/lang", data={"lang": "en", "csrf_token": token}, headers=headers)
    assert r.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:8000"},  # the configured public URL (settings default)
        {"Referer": "http://127.0.0.1:8000/login"},
        {},  # neither: a non-browser client; the token alone decides
    ],
)
async def test_the_public_origin_is_accepted(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    token = await csrf_token(client)
    r = await client.post("/lang", data={"lang": "en", "csrf_token": token}, headers=headers)
    assert r.status_code == 303


async def test_cookies_carry_the_host_prefix_over_https(settings: Settings, outbox: Path) -> None:
    secure = settings.model_copy(
        update={"web": WebSettings(cookie_secure=True), "public_url": "https://testserver"}
    )
    async with browsers(secure, outbox, "https://testserver") as (browser, _):
        account = await register(browser, outbox, login=False)
        page = await browser.get("/login")
        r = await web_login(browser, account)
        lang = await browser.post(
            "/lang", data={"lang": "en", "next": "/login", "csrf_token": await csrf_token(browser)}
        )
        cookies = [c for x in (page, r, lang) for c in x.headers.get_list("set-cookie")]
        names = {c.split("=", 1)[0] for c in cookies}
        assert {
            "__Host-csrf_token",
            "__Host-access_token",
            "__Host-refresh_token",
            "__Host-lang",
        } <= names
        # The prefixed language cookie is the one read back.
        assert 'lang="en"' in (await browser.get("/")).text
        for cookie in cookies:
            flags = cookie.lower()
            assert "; secure" in flags and "path=/" in flags and "domain=" not in flags
        assert (await browser.get("/account")).status_code == 200  # the session works


async def test_pages_let_the_browser_send_our_origin(client: httpx.AsyncClient) -> None:
    """Under "no-referrer" a browser posts forms with `Origin: null`, which the check refuses;
    pages use "same-origin" (nothing reaches other sites), the API keeps "no-referrer"."""
    for path in ("/login", "/nothing-here"):
        assert (await client.get(path)).headers["Referrer-Policy"] == "same-origin", path
    assert (await client.get("/api/v1/categories")).headers["Referrer-Policy"] == "no-referrer"
