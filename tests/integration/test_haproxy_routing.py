"""The routing modes in the real HAProxy (2.6, Lua) with the stack's own template, but two tiny
in-process slots instead of a stack: what `haproxy.Runtime` switches is what clients get.
The whole deploy on a real stack is tests/acceptance/delivery/test_routing_modes.py."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jinja2
import pytest

from fixiactl.deploy.haproxy import Runtime

ROOT = Path(__file__).resolve().parents[2]
SLOTS = ("blue", "green")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a health check's reset connection is no failure of the test

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        try:
            super().shutdown_request(request)
        finally:
            request.close()


@dataclass
class Slot:
    name: str
    port: int = field(default_factory=_free_port)
    mirrored: list[str] = field(default_factory=list)  # paths copied to it by the mirror
    server: _Server | None = None

    def start(self) -> None:
        slot = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("X-Fixia-Mirror") and self.path != "/readyz":
                    slot.mirrored.append(self.path)
                self._answer(500 if self.path == "/boom" else 200)

            def do_POST(self) -> None:
                self._answer(200)

            def _answer(self, status: int) -> None:
                body = json.dumps({"release": slot.name}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # HAProxy's health check hung up first: nothing to tell
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@dataclass
class Proxy:
    runtime: Runtime
    url: str
    slots: dict[str, Slot]


def _render(state: Path, ports: dict[str, int]) -> Path:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "deploy"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - an HAProxy config, not HTML
    )
    context = {
        "env": "test-routing",
        "state": state,
        "root": ROOT,
        "ports": ports,
        "weights": {"blue": 100, "green": 0},
        "server_maxconn": 20,
        "stream_maxconn": 20,
    }
    (state / "haproxy").mkdir(parents=True)
    for name in ("haproxy.cfg", "routing.map"):
        text = env.get_template(f"haproxy/{name}.j2").render(**context)
        (state / "haproxy" / name).write_text(text)
    (state / "stack.json").write_text(json.dumps({"ports": ports}))
    return state / "haproxy" / "haproxy.cfg"


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    if shutil.which("haproxy") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("haproxy is not installed (scripts/install-system-deps --stack)")
        pytest.skip("haproxy is not installed")
    slots = {name: Slot(name) for name in SLOTS}
    for slot in slots.values():
        slot.start()
    ports = {"http": _free_port(), "metrics": _free_port()}
    ports |= {name: slot.port for name, slot in slots.items()}
    config = _render(tmp_path, ports)
    log = (tmp_path / "haproxy.log").open("wb")
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        runtime = Runtime(tmp_path)
        deadline = time.monotonic() + 20
        while not (tmp_path / "haproxy" / "admin.sock").exists():
            assert time.monotonic() < deadline and process.poll() is None, "haproxy did not start"
            time.sleep(0.1)
        assert runtime.wait_up("blue", 20) and runtime.wait_up("green", 20)
        yield Proxy(runtime, f"http://127.0.0.1:{ports['http']}", slots)
    finally:
        process.terminate()
        process.wait(10)
        log.close()
        for slot in slots.values():
            assert slot.server is not None
            slot.server.shutdown()
            slot.server.server_close()


def served(client: httpx.Client, proxy: Proxy, path: str = "/healthz", **kw: object) -> str:
    r = client.get(proxy.url + path, **kw)  # type: ignore[arg-type]
    return str(r.json()["release"])


def test_the_header_and_the_cookie_reach_the_canary_at_weight_zero(proxy: Proxy) -> None:
    with httpx.Client(timeout=10) as client:
        assert {served(client, proxy, headers={"X-Fixia-Canary": "always"}) for _ in range(10)} == {
            "blue"
        }  # fmt: skip  (no deploy: no canary)
        proxy.runtime.set_routing("green", None)
        header = [served(client, proxy, headers={"X-Fixia-Canary": "always"}) for _ in range(30)]
        client.cookies.set("fixia_canary", "always")
        cookie = [served(client, proxy) for _ in range(30)]
        client.cookies.clear()
        plain = [served(client, proxy) for _ in range(30)]
        proxy.runtime.set_routing(None, None)
        client.cookies.set("fixia_canary", "always")
        after = [served(client, proxy) for _ in range(10)]
    assert header.count("green") == 30 and cookie.count("green") == 30
    assert plain.count("blue") == 30  # green's weight is 0: nobody else reaches it
    assert after.count("blue") == 10


def test_sticky_users_stay_on_the_canary_until_routing_is_off(proxy: Proxy) -> None:
    proxy.runtime.set_weight("green", 50)
    proxy.runtime.set_weight("blue", 50)
    proxy.runtime.set_routing("green", "d-sticky")
    switched_back, pinned = 0, 0
    for _ in range(10):
        with httpx.Client(timeout=10) as user:
            first = [served(user, proxy) for _ in range(40)]
            if "green" not in first:
                continue
            pinned += 1
            # Every answer after the first green one was green, and 20 more are.
            assert set(first[first.index("green") :]) == {"green"}
            switched_back += sum(served(user, proxy) != "green" for _ in range(20))
            assert user.cookies.get("fixia_pin") == "d-sticky"
    assert pinned >= 8 and switched_back == 0
    with httpx.Client(timeout=10) as stale:
        stale.cookies.set("fixia_pin", "d-earlier")  # a pin from another deploy: no effect
        proxy.runtime.set_weight("green", 0)
        assert {served(stale, proxy) for _ in range(10)} == {"blue"}
    # Routing off (the engine does it before any drain): pins are ignored at once.
    proxy.runtime.set_routing(None, None)
    with httpx.Client(timeout=10) as user:
        user.cookies.set("fixia_pin", "d-sticky")
        assert {served(user, proxy) for _ in range(10)} == {"blue"}


def test_mirrored_gets_reach_the_new_slot_and_their_answers_are_discarded(
    proxy: Proxy,
) -> None:
    before = proxy.runtime.mirror_stats()
    proxy.runtime.set_mirror("green")
    with httpx.Client(timeout=10) as client:
        answers = [served(client, proxy, f"/m{i}") for i in range(30)]
        answers.append(served(client, proxy, "/boom"))
        posts = [client.post(f"{proxy.url}/p{i}").status_code for i in range(5)]
    deadline = time.monotonic() + 10
    while proxy.runtime.mirror_stats().minus(before).answered < 31:
        assert time.monotonic() < deadline, proxy.runtime.mirror_stats()
        time.sleep(0.1)
    proxy.runtime.set_mirror(None)
    with httpx.Client(timeout=10) as client:
        later = [served(client, proxy, f"/after{i}") for i in range(10)]
    time.sleep(0.5)
    mirrored = proxy.runtime.mirror_stats().minus(before)

    assert answers.count("blue") == 31 and posts == [200] * 5 and later.count("blue") == 10
    assert (mirrored.sent, mirrored.answered, mirrored.errors) == (31, 31, 1)
    assert mirrored.failed == 0 and mirrored.skipped == 0
    assert mirrored.buckets[float("inf")] == mirrored.buckets[5.0] == 31  # all within 5 s
    assert sorted(proxy.slots["green"].mirrored) == sorted(
        [f"/m{i}" for i in range(30)] + ["/boom"]
    )
    assert proxy.slots["blue"].mirrored == []
