"""`fixia serve --workers 2`: whichever worker answers the scrape, /metrics counts the
requests of both (prometheus-client multiprocess mode), and stale files are cleared."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.redis_server import free_port

pytestmark = pytest.mark.inprocess
ROUTE = "/api/v1/categories"
N = 60


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # A file left by a previous run: its count must not leak into this one.
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")
    port = free_port()
    env = {
        **os.environ,
        "FIXIA_ENV": "test",
        "FIXIA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fixia.db'}",
        "FIXIA_EMAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
        "FIXIA_SLOT": "blue",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    fixia = Path(sys.executable).parent / "fixia"
    args = [str(fixia), "serve", "--migrate", "--workers", "2", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: two workers importing the app on a loaded 2-core host take a while.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            # Both workers must serve before the load starts, or one takes it all.
            if log.read_text().count("Application startup complete") >= 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"fixia serve did not become ready:\n{log.read_text()}")
        yield base, metrics_dir
    finally:
        process.terminate()
        process.wait(timeout=30)


def _count(text: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "fixia_http_requests_total" and s.labels.get("route") == ROUTE:
                total += s.value
    return total


def _per_file_counts(metrics_dir: Path) -> list[float]:
    counts = []
    for path in sorted(metrics_dir.glob("counter_*.db")):
        metrics = MultiProcessCollector.merge([str(path)], accumulate=True)
        counts.append(
            sum(
                s.value
                for m in metrics
                for s in m.samples
                if s.name == "fixia_http_requests_total" and s.labels.get("route") == ROUTE
            )
        )
    return counts


async def test_counts_add_up_across_workers(server: tuple[str, Path]) -> None:
    base, metrics_dir = server
    # No keep-alive: every request is a new connection, so both workers accept some.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        for _ in range(N // 10):
            answers = await asyncio.gather(*(client.get(ROUTE) for _ in range(10)))
            assert all(r.status_code == 200 for r in answers)
        scrapes = [await client.get("/metrics") for _ in range(6)]
    assert not (metrics_dir / "counter_999999.db").exists()
    per_worker = [c for c in _per_file_counts(metrics_dir) if c]
    assert len(per_worker) == 2 and sum(per_worker) == N, per_worker
    for scrape in scrapes:
        assert scrape.status_code == 200
        assert _count(scrape.text) == N
        assert 'fixia_build_info{git_sha="' in scrape.text and 'slot="blue"' in scrape.text
        # Declared but never observed here (no cache hit, no rate limit): still listed.
        assert "# TYPE fixia_ratelimit_rejections_total counter" in scrape.text
        assert "# TYPE fixia_circuit_breaker_state gauge" in scrape.text
