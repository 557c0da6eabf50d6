"""The scrubber removes credentials and personal data by key and inside free text, and
leaves the identifiers that make logs useful alone."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest
import structlog

from fixia.observability.logging import (
    access_logger,
    configure_logging,
    dumps,
    flush_lines,
    json_formatter,
    shared_processors,
    tee,
)
from fixia.observability.scrub import REDACTED, scrub_event, scrub_text

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {JWT}",
        "authorization=Basic dXNlcjpwYXNz",
        f"token {JWT} expired",
        "GET /verify-email?token=abc123DEF456 HTTP/1.1",
        '{"password": "Patagonia-Viento-82!"}',
        "new_password=Hunter2Hunter2!",
        "refresh_token: r3fr3sh-t0k3n",
        "session cookie=sid-5f2a9c",
        "call +54 9 280 455-1234 now",
        "tel 2804551234.",
        "(0280) 455-1234",
        "dni 20345678 registered",
        "DNI 20.345.678",
    ],
)
def test_secrets_and_personal_data_in_text_are_removed(text: str) -> None:
    scrubbed = scrub_text(text)
    assert REDACTED in scrubbed
    for secret in (
        JWT,
        "dXNlcjpwYXNz",
        "abc123DEF456",
        "Patagonia-Viento-82!",
        "Hunter2Hunter2!",
        "r3fr3sh-t0k3n",
        "sid-5f2a9c",
        "455-1234",
        "2804551234",
        "20345678",
        "20.345.678",
    ):
        assert secret not in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "01937a8b-1234-7abc-8def-0123456789ab",
        "request 4bf92f3577b34da6a3ce929d0e0e4736 done",
        "took 12.5 ms at 2026-11-25T16:03:09Z",
        "GET /api/v1/services/{service_id} 200",
    ],
)
def test_identifiers_and_timings_survive(text: str) -> None:
    assert scrub_text(text) == text


def test_sensitive_keys_are_replaced_whole_even_nested() -> None:
    event = {
        "event": "login",
        "password": "x",
        "headers": {"Authorization": "Bearer y", "Cookie": "a=b", "accept": "json"},
        "user": {"phone": "+54 280 4551234", "dni": 20345678, "name": "Ana"},
        "request_id": "abc",
        "duration_ms": 12.5,
    }
    out = scrub_event(event)
    assert out["password"] == REDACTED
    assert out["headers"] == {"Authorization": REDACTED, "Cookie": REDACTED, "accept": "json"}
    assert out["user"] == {"phone": REDACTED, "dni": REDACTED, "name": "Ana"}
    assert out["request_id"] == "abc" and out["duration_ms"] == 12.5


def test_stdlib_and_structlog_lines_are_json_and_scrubbed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    logging.getLogger("fixia.test").warning("login for %s with password=%s", "ana", "S3cret!x")
    structlog.stdlib.get_logger("fixia.test").info("reveal", phone="+54 280 4551234", n=3)
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    stdlib, native = lines[-2], lines[-1]
    assert stdlib["level"] == "warning" and "S3cret!x" not in stdlib["event"]
    assert {"time", "level", "event", "logger"} <= stdlib.keys()
    assert native["phone"] == REDACTED and native["n"] == 3


def test_the_formatter_renders_exceptions_scrubbed() -> None:
    record = logging.LogRecord("fixia.x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise ValueError("bad token=abcdef123456")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(json_formatter().format(record))
    assert "abcdef123456" not in line["exception"] and "ValueError" in line["exception"]


def test_the_access_logger_writes_scrubbed_json_at_the_root_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    flush_lines()  # lines other tests' apps left in the batch: not this test's
    capsys.readouterr()
    configure_logging("WARNING")
    quiet = access_logger()
    configure_logging("INFO")
    log = access_logger()
    copy = io.StringIO()
    with tee(copy):
        quiet.info("request", path="/dropped")
        log.info("request", path="/verify?token=abc123456789", status=200, phone="2804551234")
        log.error("request", path="/api/v1/services/0194a1b2-7f74-7334-8a4c-caa99420393d")
    log.info("request", path="/after")
    flush_lines()
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    assert [line["path"] for line in lines] == [
        "/verify?token=[redacted]",
        "/api/v1/services/0194a1b2-7f74-7334-8a4c-caa99420393d",
        "/after",
    ]
    first = lines[0]
    assert first["logger"] == "fixia.access" and first["level"] == "info"
    assert first["phone"] == REDACTED and first["status"] == 200 and "time" in first
    assert lines[1]["level"] == "error"
    assert [json.loads(x) for x in copy.getvalue().splitlines()] == lines[:2]


def test_each_value_pattern_still_applies_behind_its_guard() -> None:
    assert scrub_text("sent Bearer abc.def") == "sent Bearer [redacted]"
    assert scrub_text("sent eyJhbGciOi.eyJzdWIi.sig") == "sent [redacted]"
    assert scrub_text("api-key=XYZ&x=1") == "api-key=[redacted]&x=1"
    assert scrub_text("dni 12.345.678 ok") == "dni [redacted] ok"
    assert scrub_text("call +54 (280) 455-1234") == "call [redacted]"
    assert scrub_text("/services/0194a1b2-7f74-7334-8a4c-caa99420393d") == (
        "/services/0194a1b2-7f74-7334-8a4c-caa99420393d"
    )


class _Writes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Callable[[], _Writes]:
    """Installs a recording sys.stderr; call it in the test body (pytest re-installs its own
    capture between a fixture's set-up and the test)."""
    configure_logging("INFO")
    flush_lines()

    def install() -> _Writes:
        writes = _Writes()
        monkeypatch.setattr("sys.stderr", writes)
        return writes

    return install


def test_access_lines_are_batched_into_whole_line_pipe_writes(
    stderr: Callable[[], _Writes],
) -> None:
    writes = stderr()
    log = access_logger(max_delay_s=3600)
    log.info("request", path="/a")
    log.info("request", path="/b")
    assert writes.calls == [], "an info line was written before its batch was due"
    log.error("request", path="/c", status=500)
    assert [json.loads(x)["path"] for x in writes.getvalue().splitlines()] == ["/a", "/b", "/c"]
    assert len(writes.calls) == 1
    for n in range(200):
        log.info("request", path=f"/many/{n}")
    flush_lines()
    batches = writes.calls[1:]
    assert all(len(b) <= 4000 and b.endswith("\n") for b in batches) and len(batches) > 5
    paths = [json.loads(x)["path"] for x in "".join(batches).splitlines()]
    assert paths == [f"/many/{n}" for n in range(200)]


def test_a_due_batch_is_written_with_the_next_line(stderr: Callable[[], _Writes]) -> None:
    writes = stderr()
    access_logger(max_delay_s=0).info("request", path="/now")
    assert json.loads(writes.getvalue())["path"] == "/now"


def test_lines_serialise_what_orjson_refuses_through_the_stdlib() -> None:
    """orjson refuses integers over 64 bits; the line is still written, and equal."""
    event = {"event": "big", "n": 2**70, 7: "int key", "when": None}
    assert json.loads(dumps(event)) == {"event": "big", "n": 2**70, "7": "int key", "when": None}
    assert json.loads(dumps({"event": "small", 7: "int key"})) == {"event": "small", "7": "int key"}


_GUARD_CORPUS = [
    "/api/v1/services/0194a1b2-7f74-7334-8a4c-caa99420393d",
    "/api/v1/services/12345678-1234-1234-1234-123456789012",
    "tel 12345678-1234-1234-1234-123456789012 end",
    "call 2804 551234",
    "call\x1c2804\x1c551234",  # \s also matches the ASCII separators
    "DNI 20.345.678.",
    "Authorization: BEARER abc.def",
    "x-Api-Key: s3cr3t",
    "PassWord=Hunter2",
    "eyJa.eyJb.c",
    "teléfono 2804551234",
    "ｔｏｋｅｎ=abc",  # fullwidth: only the regex guards see it
    "KEY: \u212aelvin api\u212aey=xyz",
    "plain words and 123456 digits",
    "tel:1234567;",  # the shortest phone the pattern takes
    "dni 1.234.567",
    "",
]


@pytest.mark.parametrize("text", _GUARD_CORPUS)
def test_the_cheap_guards_never_change_what_the_patterns_alone_give(text: str) -> None:
    from fixia.observability.scrub import _VALUE_PATTERNS

    unguarded = text
    for pattern, _guard, replacement in _VALUE_PATTERNS:
        unguarded = pattern.sub(replacement, unguarded)
    assert scrub_text(text) == unguarded


class _Lines:
    name = "fixia.access"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, line: str) -> None:
        self.lines.append(line)

    error = info


def test_the_access_logger_renders_what_structlogs_bound_logger_would() -> None:
    configure_logging("INFO")
    reference = _Lines()
    bound = structlog.wrap_logger(
        reference,
        processors=[*shared_processors(), structlog.processors.JSONRenderer(dumps)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    fields = {"path": "/api/v1/services?phone=2804551234", "status": 503, "user_id": None}
    copy = io.StringIO()
    tokens = structlog.contextvars.bind_contextvars(request_id="r-1", user_id="u-1")
    try:
        with tee(copy):
            access_logger().info("request", **fields)
            access_logger().error("request", **fields)
        bound.info("request", **fields)
        bound.error("request", **fields)
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    ours = [json.loads(x) for x in copy.getvalue().splitlines()]
    theirs = [json.loads(x) for x in reference.lines]
    for line in ours + theirs:
        line.pop("time")
    assert len(ours) == 2 and ours == theirs
    assert ours[0]["request_id"] == "r-1" and ours[0]["path"].endswith(REDACTED)
