"""The suite's opt-in external servers (FIXIA_TEST_POSTGRES_URL, FIXIA_TEST_REDIS_URL), as CI's
service containers use them: here a real PostgreSQL and Redis that this test starts stand for
the containers, reached only through their URLs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pg, redis_server

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "ci_admin"
ADMIN_PASSWORD = "ci-admin-test-only"  # pragma: allowlist secret


@pytest.fixture(scope="module")
def server() -> Iterator[pg.PgServer]:
    # Short path: the Unix socket path must stay under 108 bytes.
    root = Path("/tmp") / f"fixia-test-ext-{uuid.uuid4().hex[:8]}"  # noqa: S108
    started = pg.start(root)
    started.psql(f"create role {ADMIN} login superuser password '{ADMIN_PASSWORD}'")
    # DDL in the server log: proof that the suite created its database on this server.
    started.psql("alter system set log_statement = 'ddl'")
    started.psql("select pg_reload_conf()")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def admin_url(server: pg.PgServer) -> str:
    return f"postgresql://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{server.port}/postgres"


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[redis_server.RedisServer]:
    started = redis_server.start(tmp_path / "redis")
    try:
        yield started
    finally:
        started.stop()


def _databases(server: pg.PgServer) -> set[str]:
    return set(server.psql("select datname from pg_database").split())


def test_unset_variables_keep_the_suite_starting_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pg.EXTERNAL_URL_ENV, raising=False)
    monkeypatch.setenv(redis_server.EXTERNAL_URL_ENV, " ")
    assert pg.external() is None
    assert redis_server.external() is None


def test_each_session_gets_its_own_database_dropped_at_the_end(
    server: pg.PgServer, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pg.EXTERNAL_URL_ENV, admin_url)
    first, second = pg.external(), pg.external()
    assert first is not None and second is not None
    url_a, url_b = first.create_database("fixia_test"), second.create_database("fixia_test")
    name_a, name_b = url_a.rsplit("/", 1)[1], url_b.rsplit("/", 1)[1]
    assert name_a != name_b and url_a.startswith("postgresql+asyncpg://ci_admin:")
    assert {name_a, name_b} <= _databases(server)
    first.psql("create table t (x int); insert into t values (41), (42)", database=name_a)
    assert server.psql("select sum(x) from t", database=name_a).strip() == "83"
    first.stop()
    assert name_a not in _databases(server) and name_b in _databases(server)
    second.stop()
    assert name_b not in _databases(server)


def test_redis_workers_get_separate_databases(
    redis: redis_server.RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(redis_server.EXTERNAL_URL_ENV, redis.url)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    worker = redis_server.external()
    assert worker is not None and worker.url.endswith("/1")
    redis.cli("set", "other-worker", "kept")
    worker.cli("set", "mine", "1")
    assert redis.cli("-n", "1", "get", "mine").strip() == "1"
    worker.stop()
    assert redis.cli("-n", "1", "dbsize").strip() == "0"
    assert redis.cli("get", "other-worker").strip() == "kept"


def test_functional_tests_run_on_the_external_servers_only(
    server: pg.PgServer, admin_url: str, redis: redis_server.RedisServer
) -> None:
    """The conftest fixtures end to end: with CI=true and no PostgreSQL binaries the suite
    could not start its own server, so passing proves it used the URLs."""
    env = os.environ | {
        pg.EXTERNAL_URL_ENV: admin_url,
        redis_server.EXTERNAL_URL_ENV: redis.url,
        "FIXIA_PGBIN": "/nonexistent",
        "CI": "true",
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    before = _databases(server)
    pytest_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q", "--no-cov", "-k", "postgresql"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, "tests/functional/test_smoke.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
    log = (server.root / "log" / "pg.log").read_text()
    assert "create database fixia_test_" in log, "the session's database was made elsewhere"
    assert _databases(server) == before, "the session's database must be dropped"
