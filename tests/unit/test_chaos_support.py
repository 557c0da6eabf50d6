"""What the chaos drills rely on, checked without a stack: both slots can be started and
weighted, drills can pass app settings, and database outages answer 503, not 500."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError

from fixia.errors import database_down, install_error_handlers
from fixiactl.cli.stack import apply_overrides
from fixiactl.errors import FixiactlError
from fixiactl.stack.config import load_env, load_or_create_state, state_dir
from fixiactl.stack.render import render_all


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _dbapi(sqlstate: str, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, _Orig(sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("sqlstate", "down"),
    [
        ("08P01", True),
        ("08006", True),
        ("57P01", True),
        ("57P03", True),
        ("53300", True),
        ("25006", True),  # a write on a leader being demoted (HA stack)
        ("25P02", False),  # in failed transaction: the request's own earlier error
    ],
)
def test_connection_sqlstates_mean_the_database_is_down(sqlstate: str, down: bool) -> None:
    assert database_down(_dbapi(sqlstate)) is down


def test_other_database_errors_are_not_outages() -> None:
    assert not database_down(_dbapi("42P01"))  # undefined table: a bug, a 500
    assert database_down(_dbapi("42P01", invalidated=True))


def _app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(111, "refused"), TimeoutError(), _dbapi("08P01")],
    ids=["refused", "timeout", "pgbouncer"],
)
async def test_database_outage_answers_503_problem_with_retry_after(error: Exception) -> None:
    transport = httpx.ASGITransport(app=_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/boom")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "5"
    assert r.json()["code"] == "database_unavailable"


async def test_a_real_bug_stays_a_500_and_integrity_a_409() -> None:
    for error, status in ((_dbapi("42P01"), 500), (IntegrityError("x", None, _Orig("23505")), 409)):
        transport = httpx.ASGITransport(app=_app(error), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/boom")).status_code == status


@pytest.fixture
def config_name() -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:6]}"
    yield name
    shutil.rmtree(state_dir(name), ignore_errors=True)


def test_both_slots_can_serve(config_name: str) -> None:
    config = load_env(config_name, base_port=0)
    apply_overrides(config, "blue,green", ["FIXIA_PAYMENTS__TIMEOUT_S=1"])
    render_all(config, load_or_create_state(config), as_root=False)
    state: Path = state_dir(config_name)
    haproxy = (state / "haproxy" / "haproxy.cfg").read_text()
    # Both slots at full weight in each backend: the app's and the streams' (be_stream).
    backends = haproxy.count("\nbackend be_")
    assert backends == 2
    assert "server blue" in haproxy and haproxy.count("weight 100") == 2 * backends
    assert "FIXIA_PAYMENTS__TIMEOUT_S=1\n" in (state / "app-green.env").read_text()


def test_default_is_blue_only(config_name: str) -> None:
    config = load_env(config_name, base_port=0)
    render_all(config, load_or_create_state(config), as_root=False)
    haproxy = (state_dir(config_name) / "haproxy" / "haproxy.cfg").read_text()
    assert "weight 100" in haproxy and "weight 0" in haproxy


@pytest.mark.parametrize(
    ("slots", "app_env"),
    [("purple", []), ("", []), (None, ["NOEQUALS"]), (None, ["PATH=/tmp"])],
)
def test_bad_overrides_are_refused(slots: str | None, app_env: list[str]) -> None:
    with pytest.raises(FixiactlError):
        apply_overrides(load_env("test-x", base_port=0), slots, app_env)
