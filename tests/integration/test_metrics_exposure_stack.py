"""Issue #27, item 2: `/metrics` is for Prometheus on the slots' own ports, never through
HAProxy, whatever spelling of the path a client tries. Paths are sent byte for byte over a
raw socket: an HTTP client would normalise several of them before they left."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.stack import RunningStack

pytestmark = pytest.mark.stack

TRICKS = [
    "/metrics",
    "/%6Detrics",
    "/%6detrics",
    "/%6D%65%74%72%69%63%73",
    "/%2Fmetrics",
    "/%2fmetrics",
    "/%252Fmetrics",
    "/%256Detrics",
    "/METRICS",
    "/Metrics",
    "/mEtRiCs",
    "//metrics",
    "///metrics",
    "/./metrics",
    "/%2E/metrics",
    "/x/../metrics",
    "/x/%2E%2E/metrics",
    "/metrics/",
    "/metrics;x",
    "/metrics?x",
    "/metrics%00",
    "/metrics%2F",
    "/metrics#x",
]


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if len(data) > 4 * 1024 * 1024:
                break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("target", TRICKS)
def test_no_spelling_of_metrics_gets_through_haproxy(
    running_stack: RunningStack, target: str
) -> None:
    status, body = raw_get(running_stack.ports["http"], target)
    assert b"# TYPE" not in body and b"# HELP" not in body, (target, status)
    assert status in (400, 403, 404), (target, status)


def test_prometheus_still_scrapes_the_slot_directly(running_stack: RunningStack) -> None:
    r = httpx.get(f"http://127.0.0.1:{running_stack.ports['blue']}/metrics", timeout=10)
    assert r.status_code == 200 and "# TYPE" in r.text
