"""A real HTTP server on loopback that plays MercadoPago's preference API for chaos drills.

The stack's app reaches it over the network exactly as it would reach MercadoPago, so its
timeouts, retries and circuit breaker are exercised for real. Modes:
- "up": answer at once;
- "slow": sleep `delay_s` before answering (the preference IS created, as a real provider
  that is slow but working would do; the client may have given up by then);
- "down": the port is closed (connection refused).
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "TEST-chaos-access-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeMercadoPago:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mode = "up"
        self.delay_s = 0.0
        self.lock = threading.Lock()
        self.by_key: dict[str, str] = {}
        # How many preferences each external reference (our payment id) got: more than one
        # would be a duplicate charge opportunity.
        self.per_reference: Counter[str] = Counter()
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set_mode(self, mode: str, delay_s: float = 0.0) -> None:
        if mode == "down":
            self.stop()
        elif self._server is None:
            self.start()
        self.mode, self.delay_s = mode, delay_s

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        with self.lock:
            self.requests += 1
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(handler, 401, {"message": "invalid access token"})
            return
        if handler.path != "/checkout/preferences":
            self._reply(handler, 404, {"message": "resource not found"})
            return
        key = handler.headers.get("X-Idempotency-Key")
        if not key:
            self._reply(handler, 400, {"message": "X-Idempotency-Key required"})
            return
        with self.lock:
            pref_id = self.by_key.get(key)
            if pref_id is None:
                pref_id = f"chaos-{uuid.uuid4()}"
                self.by_key[key] = pref_id
                self.per_reference[str(body.get("external_reference"))] += 1
        if self.mode == "slow":
            threading.Event().wait(self.delay_s)
        answer = {
            "id": pref_id,
            "init_point": f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id={pref_id}",
        }
        try:
            self._reply(handler, 201, answer)
        except OSError:
            return  # the client gave up waiting: exactly what a timeout looks like

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
