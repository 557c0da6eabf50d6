"""The real topology: HAProxy → uvicorn slots → PgBouncer (transaction pooling) → PostgreSQL,
with the Redis cache. Started once by `fixiactl stack up` (see tests/stack.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from fixiactl.stack import postgres
from tests.factories.accounts import register
from tests.factories.catalog import create_service
from tests.factories.projects import API, apply, post_project
from tests.stack import RunningStack

pytestmark = pytest.mark.stack


def test_status_reports_every_component(running_stack: RunningStack) -> None:
    result = running_stack.ctl("status", "--json")
    components = {c["name"]: c for c in json.loads(result.stdout)}
    assert set(components) == {
        *("postgres", "pgbouncer", "redis", "redis-limiter", "haproxy"),
        *("app-blue", "app-green", "worker-blue", "worker-green"),
    }
    for name in (
        *("postgres", "pgbouncer", "redis", "redis-limiter", "haproxy"),
        *("app-blue", "worker-blue"),
    ):
        assert components[name]["state"] == "RUNNING" and components[name]["healthy"], name
        assert components[name]["pid"] > 0
    assert components["app-green"]["state"] == components["worker-green"]["state"] == "STOPPED"
    assert components["worker-blue"]["port"] == running_stack.ports["worker-blue"]
    assert components["haproxy"]["port"] == running_stack.ports["http"]


def test_up_is_idempotent(running_stack: RunningStack) -> None:
    def verifier() -> str:
        sql = "select rolpassword from pg_authid where rolname = 'fixia'"
        return postgres.psql(running_stack.state / "pg", running_stack.ports["postgres"], sql)

    before = json.loads(running_stack.ctl("status", "--json").stdout)
    scram = verifier()
    result = running_stack.ctl("up", "--json")
    after = json.loads(result.stdout)
    assert {c["name"]: c["pid"] for c in before} == {c["name"]: c["pid"] for c in after}
    # Same password, same SCRAM salt: a new salt broke PgBouncer's next server logins for
    # clients that had logged in before it (the bench's app slot, after `up` on a live stack).
    assert verifier() == scram and scram.startswith("SCRAM-SHA-256$")


def test_haproxy_runtime_api_and_exporter(running_stack: RunningStack) -> None:
    from fixiactl.stack.health import haproxy_command

    servers = haproxy_command(
        running_stack.state / "haproxy" / "admin.sock", "show servers state be_app"
    )
    lines = [line.split() for line in servers.splitlines() if line.startswith("3 be_app")]
    state = {fields[3]: fields[5] for fields in lines}  # name -> operational state
    assert state == {"blue": "2", "green": "0"}  # 2 = running, 0 = stopped (DOWN)
    metrics = httpx.get(f"http://127.0.0.1:{running_stack.ports['metrics']}/metrics").text
    assert "haproxy_backend_active_servers" in metrics


def test_unknown_component_and_env_fail_clearly(running_stack: RunningStack) -> None:
    result = running_stack.ctl("stop", "mysql", check=False)
    assert result.returncode == 1 and "no component" in result.stderr
    assert "Traceback" not in result.stderr


async def test_pgbouncer_transaction_mode_under_concurrency(
    running_stack: RunningStack, client: httpx.AsyncClient, outbox: Path
) -> None:
    owner = await register(client, outbox)
    pros = [await register(client, outbox, role="professional") for _ in range(4)]
    project = await post_project(client, owner)
    # 4 writers and 60 readers at once: more clients than PgBouncer has server connections,
    # every statement unprepared-safe. Any prepared-statement clash would surface as a 500.
    writes = [apply(client, pro, project["id"]) for pro in pros]
    reads = [client.get(f"{API}/services", params={"q": f"plomero {i}"}) for i in range(60)]
    results = await asyncio.gather(*writes, *reads)
    assert all(r.status_code == 200 for r in results[len(writes) :])
    proposals = (
        await client.get(f"{API}/projects/{project['id']}/proposals", headers=owner.headers)
    ).json()["items"]
    assert len(proposals) == 4


async def test_redis_outage_degrades_then_recovers(
    running_stack: RunningStack, client: httpx.AsyncClient, outbox: Path
) -> None:
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    urls = [
        f"{API}/categories",
        f"{API}/services?q=plomero",
        f"{API}/services/{svc['id']}",
        f"{API}/professionals/{pro.id}",
    ]
    running_stack.ctl("stop", "redis")
    try:
        for _ in range(3):
            for url in urls:
                r = await client.get(url)
                assert r.status_code == 200, (url, r.text)
        r = await client.patch(
            f"{API}/services/{svc['id']}", json={"price": "777.00"}, headers=pro.headers
        )
        assert r.status_code == 200
    finally:
        running_stack.ctl("start", "redis")
    from redis import Redis

    redis = Redis.from_url(running_stack.redis_url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        await client.get(urls[2])
        if redis.exists(f"fixia:svc:{svc['id']}"):
            break
        await asyncio.sleep(0.2)
    assert redis.exists(f"fixia:svc:{svc['id']}"), "the cache did not come back"
    assert (await client.get(urls[2])).json()["price"] == "777.00"
