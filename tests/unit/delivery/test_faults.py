"""Fault injection makes bad releases real, and production refuses it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from fixia.config import Settings
from fixia.config.runtime import FaultSettings
from fixia.platform.faults import FaultInjector

SECRETS = {
    "encryption_key": "x" * 40,
    "auth": {"jwt_keys": {"k1": "y" * 48}},
    "payments": {"webhook_secret": "z" * 40, "provider": "mercadopago",
                 "mercadopago_access_token": "t"},
}  # fmt: skip


def test_production_refuses_any_fault() -> None:
    with pytest.raises(ValidationError, match="fault injection"):
        Settings(env="production", faults={"error_rate": 0.1}, **SECRETS)
    Settings(env="production", **SECRETS)  # and starts without one
    Settings(env="staging", faults={"error_rate": 0.1}, **SECRETS)


def _app(faults: FaultSettings) -> httpx.AsyncClient:
    app = FastAPI()

    @app.get("/work")
    async def work() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    app.add_middleware(FaultInjector, faults=faults)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_error_rate_fails_requests_after_the_first_ones() -> None:
    async with _app(FaultSettings(error_rate=1.0, skip_first=3)) as client:
        codes = [(await client.get("/work")).status_code for _ in range(6)]
        probe = await client.get("/readyz")
    assert codes == [200, 200, 200, 500, 500, 500]
    assert probe.status_code == 200  # probes stay truthful


async def test_failing_readiness_only_touches_readyz() -> None:
    async with _app(FaultSettings(fail_readiness=True)) as client:
        assert (await client.get("/readyz")).status_code == 503
        assert (await client.get("/work")).status_code == 200
