"""A local stand-in for HashiCorp Vault's KV version 2 engine.

No Vault server can be installed here (not in Debian's archive, no PyPI package ships the
binary), so this implements the three endpoints hvac calls, following Vault's HTTP API docs:
token lookup, and read/write of `/v1/<mount>/data/<path>`, with `X-Vault-Token` checks and
Vault's error shape. The provider under test talks to it over real HTTP through hvac.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: _VaultServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("X-Vault-Token") != self.server.token:
            self._reply(403, {"errors": ["permission denied"]})
            return False
        return True

    def _kv_path(self) -> str | None:
        path = self.path.split("?", 1)[0]
        prefix = f"/v1/{self.server.mount}/data/"
        return path[len(prefix) :] if path.startswith(prefix) else None

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.startswith("/v1/auth/token/lookup-self"):
            self._reply(200, {"data": {"id": self.server.token, "policies": ["default"]}})
            return
        key = self._kv_path()
        if key is None or key not in self.server.secrets:
            self._reply(404, {"errors": []})
            return
        versions = self.server.secrets[key]
        self._reply(
            200,
            {
                "data": {
                    "data": versions[-1],
                    "metadata": {
                        "version": len(versions),
                        "created_time": datetime.now(UTC).isoformat(),
                        "deletion_time": "",
                        "destroyed": False,
                    },
                }
            },
        )

    def do_POST(self) -> None:
        if not self._authorised():
            return
        key = self._kv_path()
        if key is None:
            self._reply(404, {"errors": [f"no handler for route {self.path!r}"]})
            return
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length) or b"{}")
        self.server.secrets.setdefault(key, []).append(dict(payload["data"]))
        version = len(self.server.secrets[key])
        self._reply(200, {"data": {"version": version, "destroyed": False}})

    do_PUT = do_POST


class _VaultServer(ThreadingHTTPServer):
    def __init__(self, token: str, mount: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token, self.mount = token, mount
        self.secrets: dict[str, list[dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def fake_vault(token: str = "root-token", mount: str = "secret") -> Iterator[_VaultServer]:
    server = _VaultServer(token, mount)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
