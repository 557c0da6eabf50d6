"""The same-run ceiling: bare FastAPI and Starlette apps on Fixia's bytes, straight and
through the stack's own HAProxy.

Straight: wrk to the bare app's port, against wrk to a Fixia slot's port. Through HAProxy:
for the bare runs the runtime API points the active slots' servers at the bare app (its
/readyz answers the health check), then points them back, so the proxy, its config and its
health checks are the ones Fixia is measured through.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from fixiactl.bench.bareapp import ENDPOINTS
from fixiactl.bench.wrk import WrkRun
from fixiactl.errors import FixiactlError
from fixiactl.stack.health import haproxy_command

if TYPE_CHECKING:
    from fixiactl.bench.runner import Context

FRAMEWORKS = ("fastapi", "starlette")
START_TIMEOUT_S = 30.0
# HAProxy checks every second and needs two good ones: the bare app must be UP everywhere.
SWITCH_SETTLE_S = 3.0


@dataclass(frozen=True)
class Where:
    """The stack as the ceiling runs need it."""

    state: Path  # the environment's state directory (HAProxy's admin socket)
    slots: dict[str, int]  # active slot -> its own port
    workers: int  # server workers per slot
    server: str = "uvicorn"  # the slots' server (the environment's app_server)

    @property
    def slot(self) -> str:
        return next(iter(self.slots))

    @property
    def slot_port(self) -> int:
        return self.slots[self.slot]


def capture(port: int, samples: dict[str, str], out: Path) -> dict[str, int]:
    """Fetch one sample path of each endpoint through HAProxy and keep its exact bytes."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        for name in ENDPOINTS:
            response = http.get(samples[name])
            if response.status_code != 200:
                raise FixiactlError(f"{samples[name]} answered {response.status_code}")
            (out / f"{name}.json").write_bytes(response.content)
            sizes[name] = len(response.content)
    return sizes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FixiactlError(f"the bare app exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code < 500:
                return
        time.sleep(0.2)
    raise FixiactlError(f"the bare app did not answer within {START_TIMEOUT_S:.0f} s")


def granian_installed() -> bool:
    return importlib.util.find_spec("granian") is not None


def server_command(server: str, app: str, port: int, workers: int) -> list[str]:
    """`fixia serve`'s uvicorn settings, or granian's nearest equivalent."""
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "asgi", "--loop", "uvloop",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--no-ws", "--log-level", "warning", app,
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--proxy-headers", "--no-access-log", "--log-level", "warning",
        "--timeout-graceful-shutdown", "20",
    ]  # fmt: skip


def slot_environment(env_file: Path, metrics_dir: Path) -> dict[str, str]:
    """A slot's settings (its env file), with a metrics directory of its own."""
    pairs = (line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    return {**os.environ, **dict(pairs), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}


@contextlib.contextmanager
def bare_server(
    framework: str,
    bodies: Path,
    workers: int,
    log: Path,
    *,
    server: str = "uvicorn",
    app: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[int]:
    """The bare app (or `app` with `env`) served by uvicorn with `fixia serve`'s settings
    (workers, proxy headers, no access log, uvloop and httptools), or by granian; stopped on
    the way out."""
    port = _free_port()
    command = server_command(
        server, app or f"fixiactl.bench.bareapp:{framework}_app", port, workers
    )
    env = env or {**os.environ, "FIXIA_BENCH_BODIES": str(bodies)}
    with log.open("ab") as sink:
        proc = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
    try:
        _wait_ready(port, proc)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _point(socket_path: Path, slot: str, port: int) -> None:
    out = haproxy_command(socket_path, f"set server be_app/{slot} addr 127.0.0.1 port {port}")
    if "changed" not in out and "no need to change" not in out:
        raise FixiactlError(f"HAProxy refused to point {slot} at port {port}: {out.strip()}")


@contextlib.contextmanager
def behind_haproxy(
    state: Path, slots: dict[str, int], bare_port: int, http_port: int
) -> Iterator[None]:
    """The active slots' servers point at the bare app for the duration, then back."""
    socket_path = state / "haproxy" / "admin.sock"
    try:
        for slot in slots:
            _point(socket_path, slot, bare_port)
        time.sleep(SWITCH_SETTLE_S)
        body = httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=2).content
        if not body.startswith(b"bare"):
            raise FixiactlError("HAProxy still answers from Fixia after the switch")
        yield
    finally:
        for slot, port in slots.items():
            _point(socket_path, slot, port)
        time.sleep(SWITCH_SETTLE_S)


def _labels(name: str) -> str:
    return {
        "search": "search",
        "service": "service detail",
        "professional": "professional profile",
        "categories": "categories",
    }[name]


def run_ceiling(
    ctx: Context, samples: dict[str, str], data: Path, where: Where, warm: dict[str, list[str]]
) -> dict[str, Any]:
    """Each cached read straight to a Fixia slot, then on the bare apps straight and through
    HAProxy: the scenarios `<name>-direct`, `<fw>-<name>-direct` and `<fw>-<name>`."""
    bodies = ctx.work / "bare"
    sizes = capture(ctx.port, samples, bodies)
    o = ctx.options

    def run(mode: str) -> WrkRun:
        return WrkRun("read", mode, o.duration_s, o.connections, o.threads)

    for name in ENDPOINTS:
        label = f"{_labels(name)}, straight to the {where.slot} slot"
        load = f"as `{_labels(name)}`, wrk to the slot's own port"
        # Every path of the endpoint is warmed first (through HAProxy: the same Redis), so the
        # run measures hits, not the misses TTL expiry leaves since the HAProxy run.
        ctx.load(f"{name}-direct", label, load, run(name), data, warm[name], port=where.slot_port)
    for framework in FRAMEWORKS:
        title = "FastAPI" if framework == "fastapi" else "Starlette"
        log = ctx.work / f"bare-{framework}.log"
        with bare_server(framework, bodies, where.workers, log, server=where.server) as port:
            for name in ENDPOINTS:
                label = f"bare {title}: {_labels(name)}, straight"
                load = f"the same paths, answered with {sizes[name]:,} stored bytes"
                ctx.load(f"{framework}-{name}-direct", label, load, run(name), data, port=port)
            with behind_haproxy(where.state, where.slots, port, ctx.port):
                for name in ENDPOINTS:
                    label = f"bare {title}: {_labels(name)}, through HAProxy"
                    load = f"the same paths, answered with {sizes[name]:,} stored bytes"
                    ctx.load(f"{framework}-{name}", label, load, run(name), data)
    return {"bytes": sizes, "samples": samples}


def run_servers(
    ctx: Context, data: Path, where: Where, env_file: Path, warm: dict[str, list[str]]
) -> list[str]:
    """uvicorn against granian on the same apps (Fixia's slot app and bare FastAPI), straight,
    for the search page and categories: `<server>-fixia-<name>`, `<server>-fastapi-<name>`."""
    if not granian_installed():
        return []
    o = ctx.options
    names = ("search", "categories")
    bodies = ctx.work / "bare"
    for server in ("uvicorn", "granian"):
        env = slot_environment(env_file, ctx.work / f"metrics-{server}")
        log = ctx.work / f"{server}.log"
        # As `fixia serve` runs it: granian gets the app behind the forwarded-headers layer.
        app = "fixia.asgi:proxied" if server == "granian" else "fixia.asgi:app"
        with bare_server(
            "fixia", bodies, where.workers, log, server=server, app=app, env=env
        ) as port:
            for name in names:
                run = WrkRun("read", name, o.duration_s, o.connections, o.threads)
                label = f"{server}: Fixia {_labels(name)}, straight"
                ctx.load(
                    f"{server}-fixia-{name}",
                    label,
                    "Fixia's app, the slot's settings",
                    run,
                    data,
                    warm[name],
                    port=port,
                )
        with bare_server("fastapi", bodies, where.workers, log, server=server) as port:
            for name in names:
                run = WrkRun("read", name, o.duration_s, o.connections, o.threads)
                label = f"{server}: bare FastAPI {_labels(name)}, straight"
                ctx.load(f"{server}-fastapi-{name}", label, "the same bytes", run, data, port=port)
    return list(names)
