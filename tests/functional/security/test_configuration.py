"""OWASP API8 (security misconfiguration), API9 (inventory) and API10 (unsafe consumption of
the payment provider's webhooks)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from fixia.config import AuthSettings, PaymentSettings, SecuritySettings, Settings
from fixia.main import create_app
from fixia.payments.providers import signing
from tests.factories.accounts import register
from tests.factories.catalog import expect_problem
from tests.factories.payments import create_job, pay_job

# In process only: these tests build their own apps and settings.
pytestmark = pytest.mark.inprocess

API = "/api/v1"
PAGE_CSP = "default-src 'self'; script-src 'nonce-abc'"


async def _call(app: FastAPI, method: str, url: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.request(method, url, **kwargs)  # type: ignore[arg-type]


def _with_probe_routes(app: FastAPI) -> FastAPI:
    """An HTML page that sets its own CSP (as the web pages do), and a handler that crashes."""

    @app.get("/probe/page", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse("<p>hola</p>", headers={"Content-Security-Policy": PAGE_CSP})

    @app.get(f"{API}/probe/crash", include_in_schema=False)
    async def crash() -> None:
        raise RuntimeError("password=hunter2 at /srv/fixia/secret.py line 42")

    return app


async def test_security_headers_on_every_api_answer(client: httpx.AsyncClient) -> None:
    for r in (
        await client.get(f"{API}/categories"),  # 200
        await client.get(f"{API}/services/not-a-uuid"),  # 422
        await client.get(f"{API}/me"),  # 401
        await client.get(f"{API}/nothing-here"),  # 404
    ):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "no-referrer"


async def test_a_csp_set_by_a_handler_is_kept_and_stack_traces_never_leak(
    settings: Settings,
) -> None:
    app = _with_probe_routes(create_app(settings))
    r = await _call(app, "GET", "/probe/page")
    assert r.headers["Content-Security-Policy"] == PAGE_CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await _call(app, "GET", f"{API}/probe/crash")  # the API answers problem+json
    problem = expect_problem(r, 500, "internal_error")
    assert "hunter2" not in r.text and "Traceback" not in r.text and "secret.py" not in r.text
    assert problem["detail"] == "An unexpected error occurred."
    await app.state.engine.dispose()


async def test_headers_are_setting_driven(settings: Settings) -> None:
    custom = settings.model_copy(
        update={"security": SecuritySettings(hsts_max_age_s=0, csp="default-src 'self'")}
    )
    app = create_app(custom)
    r = await _call(app, "GET", f"{API}/categories")
    assert "Strict-Transport-Security" not in r.headers
    assert r.headers["Content-Security-Policy"] == "default-src 'self'"
    await app.state.engine.dispose()


async def test_cors_allows_only_listed_origins(settings: Settings) -> None:
    allowed = "https://app.fixia.com.ar"
    app = create_app(
        settings.model_copy(update={"security": SecuritySettings(cors_origins=[allowed])})
    )
    preflight = {"Access-Control-Request-Method": "POST"}
    r = await _call(app, "OPTIONS", f"{API}/auth/login", headers={"Origin": allowed, **preflight})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == allowed
    evil = "https://evil.example"
    r = await _call(app, "OPTIONS", f"{API}/auth/login", headers={"Origin": evil, **preflight})
    assert r.status_code == 400 and "Access-Control-Allow-Origin" not in r.headers
    r = await _call(app, "GET", f"{API}/categories", headers={"Origin": evil})
    assert "Access-Control-Allow-Origin" not in r.headers
    await app.state.engine.dispose()
    # By default no origin is allowed at all.
    default = create_app(settings)
    r = await _call(default, "GET", f"{API}/categories", headers={"Origin": allowed})
    assert "Access-Control-Allow-Origin" not in r.headers
    await default.state.engine.dispose()


def _production(settings: Settings) -> Settings:
    return Settings(
        env="production",
        database_url=settings.db.url,
        encryption_key=SecretStr("p" * 40),
        auth=AuthSettings(jwt_keys={"k1": SecretStr("j" * 48)}),
        payments=PaymentSettings(
            provider="mercadopago",
            webhook_secret=SecretStr("w" * 40),
            mercadopago_access_token=SecretStr("APP_USR-x"),
        ),
    )


async def test_api_docs_are_off_in_production(settings: Settings) -> None:
    production = create_app(_production(settings))
    for path in ("/docs", "/redoc", f"{API}/openapi.json"):
        assert (await _call(production, "GET", path)).status_code == 404, path
    await production.state.engine.dispose()
    development = create_app(settings)
    assert (await _call(development, "GET", f"{API}/openapi.json")).status_code == 200
    r = await _call(development, "GET", "/docs")
    assert r.status_code == 200 and "Content-Security-Policy" not in r.headers  # Swagger UI
    await development.state.engine.dispose()


def _served_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """What the router really serves, including routes of included routers."""
    served = []
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for item in contexts() if contexts else [route]:
            path, methods = getattr(item, "path", None), getattr(item, "methods", None)
            if path and methods:
                served.append((str(path), set(methods)))
    return served


def test_every_api_route_is_in_the_openapi_document(settings: Settings) -> None:
    """Inventory: nothing under /api is undocumented. Documented exclusions, outside /api:
    /metrics (Prometheus, denied at HAProxy), /docs and /redoc, and the web pages."""
    app = create_app(settings)
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    routes = {
        (method, path)
        for path, methods in _served_routes(app)
        if path.startswith("/api/") and path != f"{API}/openapi.json"
        for method in methods
        if method != "HEAD"
    }
    assert routes, "no API routes found"
    assert routes - documented == set()
    # Every documented operation names a response schema for its success answer.
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            ok = [c for c in operation["responses"] if c.startswith("2")]
            assert ok, (method, path)


async def test_webhooks_need_a_fresh_valid_signature(
    client: httpx.AsyncClient, settings: Settings, outbox: Path
) -> None:
    payer = await register(client, outbox)
    pro = await register(client, outbox, role="professional")
    await pay_job(client, payer, await create_job(settings, client=payer, professional=pro))
    url = f"{API}/payments/webhooks/sandbox"
    params = {"data.id": "123456", "type": "payment"}
    body = b'{"id": "evt-1", "type": "payment", "data": {"id": "123456"}}'
    secret = settings.payments.webhook_secret.get_secret_value()

    def signed(ts: int, key: str = secret) -> dict[str, str]:
        value = signing.sign(key, data_id="123456", request_id="req-1", ts=str(ts))
        return {"x-signature": value, "x-request-id": "req-1"}

    now = int(time.time())
    for name, headers in {
        "unsigned": {},
        "wrong key": signed(now, "another-secret-" + "z" * 30),
        "replayed an hour later": signed(now - 3600),
        "from the future": signed(now + 3600),
        "garbled": {"x-signature": "ts=abc,v1=zz"},
    }.items():
        r = await client.post(url, params=params, content=body, headers=headers)
        assert r.status_code == 401, name
        expect_problem(r, 401, "invalid_webhook_signature")
    # A fresh, valid notification is accepted (this one names an unknown payment).
    r = await client.post(url, params=params, content=body, headers=signed(now))
    assert r.status_code == 200 and r.json()["result"] == "ignored"
