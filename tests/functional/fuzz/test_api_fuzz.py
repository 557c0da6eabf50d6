"""Property-based fuzzing of every API operation with schemathesis, as each role.

Schemathesis derives requests from our own OpenAPI document; every response must be a
non-5xx answer that conforms to the schema documented for its status code. The app runs in
process on a copy of the migrated SQLite template, on one event loop (an anyio portal), so
the engine's connections never cross loops. Examples per operation are bounded so the whole
run stays within a few minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from fixia.config import (
    AuthSettings,
    EmailSettings,
    PaymentSettings,
    QueueSettings,
    RateLimitSettings,
    Settings,
)
from fixia.main import create_app
from tests.factories.payments import payments_app
from tests.functional.fuzz.world import World, build, intact

pytestmark = pytest.mark.inprocess

# Bounded: each of the 92 operations gets EXAMPLES positive and EXAMPLES // 2 negative
# generated requests, each sent once per role. FIXIA_FUZZ_EXAMPLES raises it for a deeper run.
EXAMPLES = int(os.environ.get("FIXIA_FUZZ_EXAMPLES", "5"))
ROLES = ("client", "professional", "admin")
SCHEMA_PATH = "/api/v1/openapi.json"


@dataclass
class Harness:
    app: FastAPI
    portal: BlockingPortal
    http: httpx.AsyncClient
    outbox: Path

    def request(self, **kwargs: Any) -> httpx.Response:
        request = self.http.build_request(**kwargs)
        # A multipart body (the media uploads) streams; read it now, so schemathesis can
        # show the request when it reports a failure.
        request.read()
        return self.portal.call(self.http.send, request)

    cached: World | None = None
    statuses: set[int] = field(default_factory=set)

    def world(self) -> World:
        """The shared world, rebuilt when an operation broke one of its accounts (logged
        out, suspended, deleted, demoted...). Object states may drift; that is fuzzing."""
        if self.cached is None or not self.portal.call(intact, self.http, self.cached):
            self.cached = self.portal.call(build, self.http, self.outbox, self.app.state.engine)
        return self.cached


@pytest.fixture(scope="module")
def harness(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    root = tmp_path_factory.mktemp("fuzz")
    db = root / "fixia.db"
    shutil.copy(sqlite_template, db)
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{db}",
        var_dir=root,
        email=EmailSettings(backend="outbox", outbox_dir=root / "outbox"),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024),
        ratelimit=RateLimitSettings(enabled=False),
        queue=QueueSettings(eager=True),
        payments=PaymentSettings(sandbox_checkout=True),
    )
    app = payments_app(settings)  # the sandbox delivers its webhooks back into the app
    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        try:
            yield Harness(app=app, portal=portal, http=http, outbox=root / "outbox")
        finally:
            portal.call(http.aclose)
            portal.call(app.state.engine.dispose)


def _spec_app() -> FastAPI:
    # Eager: the spec app's lifespan (schemathesis runs it) starts no in-process worker.
    return create_app(
        Settings(
            env="test",
            database_url="sqlite+aiosqlite:///:memory:",
            queue=QueueSettings(eager=True),
        )
    )


# Loaded once through the ASGI app (schemathesis runs its lifespan, so not the fuzzed app).
SCHEMA = schemathesis.openapi.from_asgi(SCHEMA_PATH, _spec_app())
# The SSE stream never ends (httpx's ASGI transport would wait for ever): its contract is
# tested over a real server in tests/functional/streams/.
STREAMS = {"/api/v1/stream"}
OPERATIONS = [
    (m.upper(), p)
    for p, ops in _spec_app().openapi()["paths"].items()
    for m in ops
    if p not in STREAMS
]
SPEC = _spec_app().openapi()


def _has_inputs(method: str, path: str) -> bool:
    """Negative mode needs something to break: a parameter or a body."""
    spec = SPEC["paths"][path][method.lower()]
    return bool(spec.get("parameters") or spec.get("requestBody"))


MODES = (
    (GenerationMode.POSITIVE, EXAMPLES),
    (GenerationMode.NEGATIVE, max(EXAMPLES // 2, 1)),
)


def _send(harness: Harness, case: schemathesis.Case, token: str) -> httpx.Response:
    """Send the case the way schemathesis serialises it (including the deliberately broken
    bodies of negative mode), over httpx to the in-process app."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    headers["Authorization"] = f"Bearer {token}"
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params") or None,
        "headers": headers,
        "cookies": kwargs.get("cookies") or None,
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, (bytes, str)):
        request["content"] = data
    elif data is not None:
        request["data"] = data
    if kwargs.get("files"):
        request["files"] = [(name, _part(part)) for name, part in kwargs["files"]]
    return harness.request(**request)


def _part(part: tuple[Any, ...]) -> tuple[Any, ...]:
    """Negative mode puts numbers, lists or None where a form part's content goes; httpx
    sends bytes, so they go as their text (what a hostile client would send anyway)."""
    filename, value, *rest = part
    if not isinstance(value, (bytes, str)):
        value = json.dumps(value)
    return (filename, value, *rest)


def _aim(case: schemathesis.Case, world: World, use_real: list[bool]) -> None:
    """Point some path parameters at real objects, so the handlers past the 404 get fuzzed."""
    params = sorted((case.path_parameters or {}).items())
    for (name, value), real in zip(params, use_real, strict=False):
        if real and name in world.ids:
            case.path_parameters[name] = world.ids[name]  # type: ignore[index]
        else:
            case.path_parameters[name] = value  # type: ignore[index]


def _fuzz(
    harness: Harness, operation: Any, mode: GenerationMode, examples: int, label: str
) -> None:
    """Each generated request is sent once per role (generation is the expensive part)."""

    @seed(int(uuid.uuid5(uuid.NAMESPACE_URL, label)) % 2**32)
    @hsettings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        use_real=st.lists(st.booleans(), min_size=3, max_size=3),
    )
    def fuzz(case: schemathesis.Case, use_real: list[bool]) -> None:
        world = harness.world()
        _aim(case, world, use_real)
        for role in ROLES:
            response = _send(harness, case, world.accounts[role].access_token)
            harness.statuses.add(response.status_code)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

    try:
        fuzz()
    except Unsatisfiable:
        # Negative mode found nothing it can break (e.g. a raw body read by the handler).
        if mode is not GenerationMode.NEGATIVE:
            raise


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_never_fails_and_conforms(harness: Harness, method: str, path: str) -> None:
    operation = SCHEMA[path][method]
    harness.statuses.clear()
    for mode, examples in MODES:
        if mode is GenerationMode.NEGATIVE and not _has_inputs(method, path):
            continue
        _fuzz(harness, operation, mode, examples, f"{mode.value} {method} {path}")
    # Not vacuous: the roles' tokens were accepted, so the handlers themselves were fuzzed.
    assert harness.statuses - {401}, f"every request to {method} {path} was refused as 401"
