"""Shared fixtures.

Functional tests run once on SQLite and once on a real PostgreSQL 15, in process. With
`--stack` they run instead over real HTTP through the production topology that
`fixiactl stack up` starts (HAProxy → uvicorn → PgBouncer → PostgreSQL, Redis cache).
`make test` runs both, so it passes `--postgres-for=inprocess`: in process, PostgreSQL is
kept for the tests that cannot run over HTTP; the stack run covers the rest on PostgreSQL.
"""

from __future__ import annotations

import os

# Settings require FIXIA_ENV: the suite, and every process it starts, runs as "test" unless a
# test says otherwise.
os.environ.setdefault("FIXIA_ENV", "test")

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.engine import make_url

from fixia import migrate
from fixia.config import (
    AuthSettings,
    EmailSettings,
    PaymentSettings,
    QueueSettings,
    RateLimitSettings,
    Settings,
    SmsSettings,
)
from fixia.db import Base
from fixia.main import create_app
from fixia.models import import_all
from fixia.platform.email import OutboxEmailSender
from tests import pg
from tests import stack as stack_module
from tests.servers import session_server

# Tables of reference data the migrations seed; everything else is emptied between tests.
KEEP = {"alembic_version", "categories", "subcategories", "search_terms"}
APPEND_ONLY = {"audit_log"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        action="store_true",
        help="run functional and integration tests against the real stack",
    )
    parser.addoption(
        "--postgres-for",
        choices=("all", "inprocess"),
        default="all",
        help="in process, which functional tests also run on PostgreSQL: all, or only those "
        "marked inprocess (make test: the others run on PostgreSQL through --stack)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # OpenTelemetry's global provider can be set once per process. Without exporters the app
    # installs a non-recording one at its first lifespan (schemathesis runs one while the
    # fuzz module is collected), so a recording provider is set before anything else: the
    # tracing tests then see their spans whatever ran first in the worker.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    config.addinivalue_line("markers", "inprocess: needs the in-process app (its state)")
    config.addinivalue_line("markers", "stack: needs the running stack (--stack)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Each mode runs the tests that make sense in it; nothing is skipped, the rest is simply
    # not collected (integration tests without a stack, in-process ones over HTTP).
    stack_mode = config.getoption("--stack")
    keep, drop = [], []
    for item in items:
        wrong = (
            item.get_closest_marker("inprocess") if stack_mode else item.get_closest_marker("stack")
        )
        (drop if wrong else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", _backends(metafunc), indirect=True)


def _backends(metafunc: pytest.Metafunc) -> list[str]:
    if metafunc.config.getoption("--stack"):
        return ["stack"]
    if (
        metafunc.config.getoption("--postgres-for") == "inprocess"
        and metafunc.definition.get_closest_marker("inprocess") is None
    ):
        return ["sqlite"]
    return ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def running_stack() -> Iterator[stack_module.RunningStack]:
    running = stack_module.start()
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pg.PgServer | pg.ExternalPg]:
    # FIXIA_TEST_POSTGRES_URL names an external one: e.g. CI's service container.
    # Short path for our own: the Unix socket path must stay under 108 bytes.
    root = Path("/tmp") / f"fixia-test-pg-{uuid.uuid4().hex[:8]}"  # noqa: S108
    missing = f"PostgreSQL 15 is not installed; {pg.INSTALL_HINT}"
    with session_server(pg.external, pg.available, missing, lambda: pg.start(root)) as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(Settings(env="test", database_url=f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database(pg_server: pg.PgServer | pg.ExternalPg) -> str:
    url = pg_server.create_database("fixia_test")
    migrate.upgrade(Settings(env="test", database_url=url))
    return url


def _cleanup_sql() -> str:
    # DELETE in reverse dependency order: much faster than TRUNCATE on tiny tables.
    import_all()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    # Table names come from our own metadata, never from input.
    # The audit log refuses DELETE (an append-only trigger); TRUNCATE fires no row trigger.
    deletes = "".join(
        f"TRUNCATE {t};" if t in APPEND_ONLY else f"DELETE FROM {t};"  # noqa: S608
        for t in tables
    )
    return "BEGIN;" + deletes + "COMMIT;"


async def _reset_stack(running: stack_module.RunningStack) -> None:
    from redis.asyncio import Redis

    from fixia.db import create_engine

    engine = create_engine(Settings(env="test", database_url=running.database_url))
    async with engine.begin() as conn:
        # The app role's statement timeout is for requests: after a test that seeded
        # thousands of rows, checking the foreign keys of one DELETE can take longer.
        await conn.execute(text("SET LOCAL statement_timeout = 0"))
        for statement in _cleanup_sql().removeprefix("BEGIN;").removesuffix("COMMIT;").split(";"):
            if statement:
                await conn.execute(text(statement))
    await engine.dispose()
    # The cache must not carry one test's rows into the next, nor the limiter its windows.
    for url in (running.redis_url, running.limiter_redis_url):
        client = Redis.from_url(url)
        await client.flushall()
        await client.aclose()
    for mail in (running.state / "outbox").glob("*.eml"):
        mail.unlink()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "stack":
        running: stack_module.RunningStack = request.getfixturevalue("running_stack")
        yield running.database_url
        asyncio.run(_reset_stack(running))
        return
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "fixia.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_database")
    server: pg.PgServer | pg.ExternalPg = request.getfixturevalue("pg_server")
    yield url
    server.psql(_cleanup_sql(), database=make_url(url).database)


@pytest.fixture
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.config.getoption("--stack"):
        running: stack_module.RunningStack = request.getfixturevalue("running_stack")
        return running.state / "outbox"
    return tmp_path / "outbox"


@pytest.fixture
def settings(database_url: str, outbox: Path, tmp_path: Path) -> Settings:
    # Cheap argon2id parameters: the suite hashes hundreds of passwords; production keeps
    # the configured cost (tests/unit/test_security.py covers the default parameters).
    return Settings(
        env="test",
        database_url=database_url,
        var_dir=tmp_path,
        email=EmailSettings(backend="outbox", outbox_dir=outbox),
        sms=SmsSettings(outbox_dir=tmp_path / "sms-outbox"),
        # Each request's jobs run right after its commit, so a test reads its mail at once.
        queue=QueueSettings(eager=True),
        payments=PaymentSettings(sandbox_checkout=True),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024),
        # Hundreds of registrations come from one test IP; rate-limit tests turn it on.
        ratelimit=RateLimitSettings(enabled=False),
    )


@pytest.fixture
async def client(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    if request.config.getoption("--stack"):
        running: stack_module.RunningStack = request.getfixturevalue("running_stack")
        async with httpx.AsyncClient(base_url=running.http, timeout=30) as c:
            yield c
        return
    app = create_app(settings, mailer=OutboxEmailSender(settings.email.outbox_dir, "t@fixia"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await app.state.engine.dispose()


def _sqlite_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return value.isoformat() if isinstance(value, date) else value


@pytest.fixture
async def db_exec(client: httpx.AsyncClient, settings: Settings):  # type: ignore[no-untyped-def]
    """Run raw SQL against the test database, e.g. to move a deadline into the past."""
    from fixia.db import create_engine

    engine = create_engine(settings)

    async def run(sql: str, **params: object) -> list[tuple[object, ...]]:
        if settings.is_sqlite:
            # What sqlite3's default date and datetime adapters did; Python 3.12 deprecates
            # them (and warnings are errors here).
            params = {k: _sqlite_text(v) for k, v in params.items()}
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []

    yield run
    await engine.dispose()
