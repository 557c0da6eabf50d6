"""Smoke tests against one slot's own port, before it receives any traffic."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from fixiactl.errors import FixiactlError


def run(port: int, release_id: str, timeout_s: float = 30.0) -> list[str]:
    """Health, search, login and one write. Returns what passed; raises on the first failure.
    The smoke judges answers, not speed (the analysis does): a cold slot's first search on a
    loaded host may take seconds, so each request may take `timeout_s`."""
    base = f"http://127.0.0.1:{port}"
    passed: list[str] = []
    tag = secrets.token_hex(4)
    with httpx.Client(base_url=base, timeout=timeout_s) as client:
        checks: list[tuple[str, Callable[[], httpx.Response], set[int]]] = [
            ("health", lambda: client.get("/healthz"), {200}),
            ("search", lambda: client.get("/api/v1/services", params={"q": "plomero"}), {200}),
            (
                # Unknown credentials: the whole login path runs (database, password hashing)
                # and must answer 401, never 5xx.
                "login",
                lambda: client.post(
                    "/api/v1/auth/login",
                    json={"email": f"smoke-{tag}@example.com.ar", "password": "Nope-12345!"},
                ),
                {401},
            ),
            (
                "write",
                lambda: client.post("/api/v1/auth/register", json=_registration(tag)),
                {201},
            ),
        ]
        for name, call, expected in checks:
            try:
                response = call()
            except httpx.HTTPError as exc:
                raise FixiactlError(f"smoke test {name!r} failed: {exc}") from exc
            if response.status_code not in expected:
                raise FixiactlError(
                    f"smoke test {name!r} answered {response.status_code}",
                    hint=response.text[:300],
                )
            if name == "health" and response.json().get("release") != release_id:
                raise FixiactlError(
                    f"the slot serves {response.json().get('release')!r}, not {release_id!r}"
                )
            passed.append(name)
    return passed


def _registration(tag: str) -> dict[str, str]:
    return {
        "email": f"smoke-{tag}@example.com.ar",
        "password": f"Smoke-{tag}-Deploy!9",
        "name": "Smoke Test",
        "role": "client",
        "dni": str(30_000_000 + int(tag, 16) % 60_000_000),
        "birthdate": "1990-01-01",
        "phone": "+54 9 280 455-1234",
        "location": "Trelew, Chubut",
    }
