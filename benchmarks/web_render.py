"""Server render time of the main web pages at demo scale: p50/p95 per page.

In process (httpx over ASGI, no sockets): the number is what the app spends producing the
page (routing, session, queries, template), not the network. The demo data set is seeded into
a fresh SQLite database. Writes var/bench/web_render.json and .md. Goal: p95 < 50 ms.

    .venv/bin/python benchmarks/web_render.py --rounds 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from fixia import migrate
from fixia.config import EmailSettings, RateLimitSettings, Settings
from fixia.main import create_app
from fixia.seed import DEMO_PASSWORD, seed_demo

GOAL_MS = 50.0
OUT = Path("var/bench")


async def _login(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post(
        "/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    assert r.status_code == 303, r.text[:500]


async def _pages(client: httpx.AsyncClient) -> dict[str, str]:
    search = await client.get("/search", params={"q": "plomero"})
    service = re.search(r'href="(/services/[0-9a-f-]{36})"', search.text)
    pro = re.search(r'href="(/professionals/[0-9a-f-]{36})"', search.text)
    assert service and pro, "the demo data has no plumbers?"
    return {
        "home": "/",
        "search (text)": "/search?q=plomero",
        "search (filters)": "/search?category=oficios-y-reparaciones&min_rating=4&sort=price_asc",
        "service detail": service.group(1),
        "professional profile": pro.group(1),
        "login": "/login",
        "register": "/register",
    }


async def _measure(client: httpx.AsyncClient, path: str, rounds: int) -> dict[str, float]:
    for _ in range(5):  # warm-up: template compilation, first cache fill
        assert (await client.get(path)).status_code == 200, path
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        r = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, path
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
        "rounds": rounds,
    }


async def run(settings: Settings, rounds: int) -> dict[str, Any]:
    await seed_demo(settings)
    app = create_app(settings)
    results: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in (await _pages(client)).items():
            results[name] = {"path": path, **await _measure(client, path, rounds)}
        await _login(client, "pro0@demo.fixia.com.ar")
        signed_in = {
            "my account (pro)": "/account",
            "my services (pro)": "/my/services",
            "opportunities (pro)": "/opportunities",
            "jobs (pro)": "/jobs",
            "notifications (pro)": "/notifications",
        }
        for name, path in signed_in.items():
            results[name] = {"path": path, **await _measure(client, path, rounds)}
    await app.state.engine.dispose()
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"| page | p50 ms | p95 ms | max ms | p95 < {GOAL_MS:.0f} ms |",
        "|---|---:|---:|---:|:---:|",
    ]
    for name, r in results.items():
        ok = "yes" if r["p95_ms"] < GOAL_MS else "**no**"
        lines.append(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {ok} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            email=EmailSettings(outbox_dir=Path(tmp) / "outbox"),
            ratelimit=RateLimitSettings(enabled=False),
        )
        migrate.upgrade(settings)
        results = asyncio.run(run(settings, args.rounds))
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"goal_p95_ms": GOAL_MS, "database": "sqlite (demo seed)", "pages": results}
    (args.out / "web_render.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(results)
    (args.out / "web_render.md").write_text("# Web render time (in process, demo data)\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
