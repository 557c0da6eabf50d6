"""CSRF, session cookies, the CSP and the role checks of the web pages."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fixia.config import Settings, WebSettings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import register
from tests.factories.admin import promote_to_admin
from tests.factories.catalog import DbExec
from tests.functional.web.helpers import csrf_token, post_form, web_login


async def test_a_form_without_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/login")  # the browser holds the CSRF cookie, but the form lacks it
    r = await client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "No tenés permiso" in r.text


async def test_a_forged_or_mismatched_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    nonce, _, _ = token.partition(".")
    forged = f"{nonce}.{'0' * 64}"
    for cookie, field in [(forged, forged), (token, forged), (token, token + "x")]:
        client.cookies.set("csrf_token", cookie)
        r = await client.post(
            "/login", data={"email": "a@example.com", "password": "x", "csrf_token": field}
        )
        assert r.status_code == 403, (cookie, field)


async def test_the_json_api_needs_no_csrf_token(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/login", json={"email": "a@example.com", "password": "Xx1xxxxx"}
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_login_sets_httponly_samesite_session_cookies(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, login=False)
    r = await web_login(client, account)
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    for name in ("access_token", "refresh_token"):
        flags = cookies[name].lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "secure" not in flags  # http test server: FIXIA_WEB__COOKIE_SECURE resolved off
    me = await client.get("/account")
    assert me.status_code == 200 and account.email in me.text


async def test_cookies_are_secure_when_configured(settings: Settings, outbox: Path) -> None:
    secure = settings.model_copy(update={"web": WebSettings(cookie_secure=True)})
    app = create_app(secure, mailer=OutboxEmailSender(outbox, "t@fixia"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        account = await register(client, outbox, login=False)
        r = await web_login(client, account)
        for cookie in r.headers.get_list("set-cookie"):
            assert "; secure" in cookie.lower(), cookie
    await app.state.engine.dispose()


async def test_an_expired_access_token_is_refreshed_from_the_refresh_cookie(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, login=False)
    await web_login(client, account)
    old_refresh = client.cookies["refresh_token"]
    client.cookies.delete("access_token")  # what the browser does when max-age runs out
    r = await client.get("/account")
    assert r.status_code == 200 and account.email in r.text
    assert client.cookies["refresh_token"] != old_refresh  # rotated, like the API's refresh


async def test_a_refresh_on_a_page_that_calls_the_provider_still_pays(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    # The plan checkout calls the provider with nothing written (db.released); a refresh on
    # the same request writes the rotation, which must not count as the page's writes.
    account = await register(client, outbox, role="professional", login=False)
    await web_login(client, account)
    token = await csrf_token(client, "/subscription")
    client.cookies.delete("access_token")
    form = {"plan": "professional", "idempotency_key": "refresh-then-pay", "csrf_token": token}
    r = await client.post("/subscription", data=form)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"].startswith("/checkout/sandbox/")
    r = await client.get("/account")
    assert r.status_code == 200 and account.email in r.text, "the rotated pair was kept"


async def test_logout_clears_the_session(client: httpx.AsyncClient, outbox: Path) -> None:
    account = await register(client, outbox, login=False)
    await web_login(client, account)
    r = await post_form(client, "/logout", {}, from_page="/account")
    assert r.status_code == 303
    r = await client.get("/account")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"


async def test_pages_carry_a_strict_csp_and_have_no_inline_code(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/register", "/search", "/nope"):
        r = await client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "<script>" not in r.text and " style=" not in r.text and "<style" not in r.text
        assert " on" + "click=" not in r.text


@pytest.mark.parametrize(
    "path", ["/my/services", "/admin/users", "/admin/reviews", "/admin/disputes"]
)
async def test_pages_of_another_role_are_a_friendly_403(
    client: httpx.AsyncClient, outbox: Path, path: str
) -> None:
    account = await register(client, outbox, role="client", login=False)
    await web_login(client, account)
    r = await client.get(path)
    assert r.status_code == 403
    assert "No tenés permiso para ver esto" in r.text


async def test_admin_pages_open_for_admins(
    client: httpx.AsyncClient, outbox: Path, db_exec: DbExec
) -> None:
    account = await register(client, outbox, role="client", login=False)
    await promote_to_admin(client, db_exec, account)
    await web_login(client, account)
    for path in ("/admin/users", "/admin/reviews", "/admin/disputes"):
        r = await client.get(path)
        assert r.status_code == 200, path
    assert account.email in (await client.get("/admin/users")).text


async def test_signed_out_visitors_are_sent_to_login(client: httpx.AsyncClient) -> None:
    r = await client.get("/admin/users")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/users"


async def test_open_redirects_through_next_are_refused(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    account = await register(client, outbox, login=False)
    data = {"email": account.email, "password": account.password, "next": "//evil.example/x"}
    r = await post_form(client, "/login", data)
    assert r.status_code == 303 and r.headers["location"] == "/account"


async def test_the_json_api_ignores_the_browser_session_cookie(
    client: httpx.AsyncClient, outbox: Path
) -> None:
    """Cookies are for the CSRF-checked pages; the API only takes a bearer token."""
    account = await register(client, outbox, login=False)
    await web_login(client, account)
    assert client.cookies.get("access_token")
    assert (await client.get("/account")).status_code == 200
    response = await client.get("/api/v1/me")
    assert response.status_code == 401


async def test_pages_get_the_web_policy_and_the_api_keeps_its_own(
    client: httpx.AsyncClient,
) -> None:
    """Two layers set a CSP; each must own its kind of response, or pages lose their CSS."""
    page = await client.get("/")
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert len(page.headers.get_list("content-security-policy")) == 1
    api = await client.get("/api/v1/categories")
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
