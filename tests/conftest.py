"""Shared fixtures. Functional tests run once on SQLite and once on a real PostgreSQL 15."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from fixia import migrate
from fixia.config import EmailSettings, Settings
from fixia.main import create_app
from fixia.platform.email import OutboxEmailSender
from tests import pg

IN_CI = os.environ.get("CI", "").lower() == "true"
# Tables of reference data the migrations seed; everything else is emptied between tests.
KEEP = {"alembic_version", "categories", "subcategories"}


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pg.PgServer]:
    if not pg.available():
        message = f"PostgreSQL 15 is not installed; {pg.INSTALL_HINT}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # Short path: the Unix socket path must stay under 108 bytes.
    root = Path("/tmp") / f"fixia-test-pg-{uuid.uuid4().hex[:8]}"  # noqa: S108
    server = pg.start(root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(Settings(env="test", database_url=f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database(pg_server: pg.PgServer) -> str:
    pg_server.psql("create database fixia_test owner fixia")
    url = pg_server.url("fixia_test")
    migrate.upgrade(Settings(env="test", database_url=url))
    return url


def _truncate_sql(pg_server: pg.PgServer) -> str:
    tables = pg_server.psql(
        "select tablename from pg_tables where schemaname='public'", database="fixia_test"
    ).split()
    return "TRUNCATE " + ", ".join(t for t in tables if t not in KEEP) + " CASCADE"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "fixia.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_database")
    server: pg.PgServer = request.getfixturevalue("pg_server")
    yield url
    server.psql(_truncate_sql(server), database="fixia_test")


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def settings(database_url: str, outbox: Path, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path,
        email=EmailSettings(backend="outbox", outbox_dir=outbox),
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await app.state.engine.dispose()


@pytest.fixture
async def db_exec(client: httpx.AsyncClient, settings: Settings):  # type: ignore[no-untyped-def]
    """Run raw SQL against the test database, e.g. to move a deadline into the past."""
    from fixia.db import create_engine

    engine = create_engine(settings)

    async def run(sql: str, **params: object) -> list[tuple[object, ...]]:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    yield run
    await engine.dispose()
