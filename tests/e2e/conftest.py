"""Browser tests: a real uvicorn serving a fresh SQLite database, driven by Debian's Chromium.

One server and one browser per session (fast); one browser context per test (isolated
cookies). A failing test leaves a screenshot and a Playwright trace in var/e2e-artifacts/.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from fixia import migrate
from fixia.config import Settings
from tests.e2e.flows import AXE
from tests.servers import IN_CI

CHROMIUM = Path(os.environ.get("FIXIA_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e-artifacts"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Server:
    url: str
    outbox: Path
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the app did not become healthy:\n{log.read_text()[-3000:]}")


def server_env(root: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "FIXIA_ENV": "test",
        "FIXIA_PAYMENTS__SANDBOX_CHECKOUT": "true",
        "FIXIA_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'fixia.db'}",
        "FIXIA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FIXIA_EMAIL__BACKEND": "outbox",
        "FIXIA_EMAIL__OUTBOX_DIR": str(root / "outbox"),
        "FIXIA_VAR_DIR": str(root),
        "FIXIA_WEB__COOKIE_SECURE": "false",
        "FIXIA_AUTH__ARGON2_TIME_COST": "1",
        "FIXIA_AUTH__ARGON2_MEMORY_KIB": "1024",
        "FIXIA_AUTH__MAX_FAILED_LOGINS": "3",
        # Every browser shares one loopback IP; the lockout test needs more than 5 logins.
        "FIXIA_RATELIMIT__ENABLED": "false",
    }


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = server_env(root, port)
    # Migrate in this process (fixia is already imported): one interpreter start saved. In a
    # thread, because pytest-asyncio may have an event loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        settings = Settings(env="test", database_url=env["FIXIA_DATABASE_URL"])
        pool.submit(migrate.upgrade, settings).result()
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "fixia.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=root,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url=url, outbox=root / "outbox", root=root)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # The server's side of any failure (tracebacks) sits next to the screenshots.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / "server.log")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: apt-get install chromium (see scripts/install-system-deps)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()
_CONTEXT_NUMBERS = itertools.count(1)


def new_context(browser: Browser, server: Server, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=server.url, locale="es-AR", **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    context.tracing.start(screenshots=True, snapshots=True)
    return context


def close_context(context: BrowserContext, request: pytest.FixtureRequest) -> None:
    """Keep the evidence of a failure: a screenshot of every open page and the trace."""
    failed = request.node.stash.get(FAILED, False)
    if failed:
        target = ARTIFACTS / request.node.name
        target.mkdir(parents=True, exist_ok=True)
        n = next(_CONTEXT_NUMBERS)
        for i, page in enumerate(context.pages):
            page.screenshot(path=str(target / f"context-{n}-page-{i}.png"), full_page=True)
        context.tracing.stop(path=str(target / f"context-{n}-trace.zip"))
    else:
        context.tracing.stop()
    context.close()


@pytest.fixture
def context(
    browser: Browser, server: Server, request: pytest.FixtureRequest
) -> Iterator[BrowserContext]:
    ctx = new_context(browser, server)
    yield ctx
    close_context(ctx, request)


@pytest.fixture
def contexts(
    browser: Browser, server: Server, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """A factory for extra contexts (one per person), closed with evidence after the test."""
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        made.append(new_context(browser, server, **options))
        return made[-1]

    yield make
    for ctx in made:
        close_context(ctx, request)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def axe_available() -> None:
    if not AXE.exists():
        message = f"{AXE} is missing: run `make npm-deps` (npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
