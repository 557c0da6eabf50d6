"""JSON logs with structlog: one line per event, correlated with the request and its trace.

Both structlog loggers and the stdlib loggers the code and its libraries use (`fixia.*`,
uvicorn, SQLAlchemy) go through one processor chain, so every line has the same shape and
passes the same scrubber. The access log, one line per request, runs that chain itself,
without the stdlib machinery (two LogRecords, a handler lock and a formatter: ~170 µs a line
in process, against ~30 µs without them; see docs/observability.md) or structlog's bound
logger, and writes its rendered lines in batches: `access_logger`.
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import orjson
import structlog
from opentelemetry import trace
from structlog.types import EventDict, Processor

from fixia.observability.scrub import scrub_event

_HANDLER_NAME = "fixia-json"
# How long a batched access-log line may wait before it is written.
LOG_FLUSH_INTERVAL_S = 0.2
# Extra destinations of the direct lines; tests capture through `tee`.
_tees: list[IO[str]] = []


class UtcTimestamp:
    """`time`: RFC 3339 in UTC with microseconds, e.g. 2026-11-27T04:00:11.195892Z.

    structlog's TimeStamper built and formatted a datetime for every line, a sixth of the
    access line's instructions (cachegrind); the text up to the second is the same for
    hundreds of lines, so it is kept. One tuple, replaced whole: lines come from several
    threads. Unlike `isoformat()`, a whole second keeps its `.000000`: every line has one width.
    """

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, _logger: Any, _method: str, event: EventDict) -> EventDict:
        now = time.time()
        second, prefix = self._second
        if int(now) != second:
            second = int(now)
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, prefix)
        event["time"] = f"{prefix}.{int((now - second) * 1_000_000):06d}Z"
        return event


def add_trace_ids(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """trace_id and span_id of the active span, as the W3C hex strings tools search for."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event.setdefault("span_id", format(ctx.span_id, "016x"))
    return event


def _scrub(_logger: Any, _method: str, event: EventDict) -> EventDict:
    return scrub_event(event)


def dumps(obj: Any, default: Callable[[Any], Any] | None = None, **_kw: Any) -> str:
    """JSON with orjson: the stdlib encoder was the access line's largest part (a quarter of
    it under py-spy). What orjson refuses (an integer over 64 bits) goes to the stdlib."""
    try:
        return orjson.dumps(obj, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(obj, default=default)


def shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        add_trace_ids,
        structlog.processors.format_exc_info,
        _scrub,
    ]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the root handler; tests attach it to capture exactly what ships."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(dumps),
        ],
    )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the current sys.stderr, so test capture and reassignments are honoured."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        return


class _LineWriter:
    """structlog's end of a direct logger. Lines go to the current sys.stderr (so test
    capture and reassignments are honoured) in batches: in the stack stderr is a pipe to
    supervisord, which paid for every read, and one write per request cost the app a system
    call. A batch is written when it nears PIPE_BUF (writes up to it are atomic, so the
    workers sharing the pipe never interleave inside a line), when its oldest line is
    `max_delay_s` old (checked at the next line and by `flush_lines`), at exit, and at once
    for errors. Tees get every line immediately."""

    def __init__(self, name: str, max_delay_s: float = LOG_FLUSH_INTERVAL_S) -> None:
        self.name = name
        self.max_delay_s = max_delay_s

    def _line(self, line: str, *, urgent: bool = False) -> None:
        for stream in _tees:
            stream.write(line + "\n")
        _batch.add(line + "\n", self.max_delay_s, urgent=urgent)

    def write(self, line: str) -> None:
        self._line(line)

    def urgent(self, line: str) -> None:
        self._line(line, urgent=True)

    debug = info = warning = msg = write
    error = critical = exception = urgent


class _Batch:
    LIMIT = 4000  # bytes; under Linux's PIPE_BUF (4096)

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.since = 0.0
        self.lock = threading.Lock()

    def add(self, line: str, max_delay_s: float, *, urgent: bool) -> None:
        with self.lock:
            if self.size + len(line) > self.LIMIT:
                self._write()
            if not self.lines:
                self.since = time.monotonic()
            self.lines.append(line)
            self.size += len(line)
            if urgent or time.monotonic() - self.since >= max_delay_s:
                self._write()

    def flush(self) -> None:
        with self.lock:
            self._write()

    def _write(self) -> None:
        if self.lines:
            sys.stderr.write("".join(self.lines))
            sys.stderr.flush()
            self.lines, self.size = [], 0


_batch = _Batch()
atexit.register(_batch.flush)


def flush_lines() -> None:
    """Write out the direct loggers' pending lines (the lifespan's end, tests)."""
    _batch.flush()


class AccessLogger:
    """The access log's logger: the shared processor chain and JSON renderer, run without
    structlog's bound logger, whose context copy and three layers of keyword passing were a
    fifth of the line's instructions (cachegrind). Same chain, same lines: a test renders
    both ways and compares. Level filtering as structlog's filtering logger: fixed at build.
    """

    def __init__(self, name: str, max_delay_s: float) -> None:
        self._writer = _LineWriter(name, max_delay_s)
        self._chain: list[Processor] = [
            *shared_processors(),
            structlog.processors.JSONRenderer(dumps),
        ]
        self._level = logging.getLogger().getEffectiveLevel()

    def _emit(self, method: str, level: int, event: str, fields: dict[str, Any]) -> None:
        if level < self._level:
            return
        line: Any = fields
        line["event"] = event
        try:
            for processor in self._chain:
                line = processor(self._writer, method, line)
        except structlog.DropEvent:
            return
        if level >= logging.ERROR:
            self._writer.urgent(line)
        else:
            self._writer.write(line)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", logging.INFO, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", logging.ERROR, event, fields)


def access_logger(
    name: str = "fixia.access", max_delay_s: float = LOG_FLUSH_INTERVAL_S
) -> AccessLogger:
    """The access log's logger, at the root logger's level (so build it after
    `configure_logging`)."""
    return AccessLogger(name, max_delay_s)


@contextmanager
def tee(stream: IO[str]) -> Iterator[None]:
    """Copy the direct loggers' lines to `stream` as well (tests)."""
    _tees.append(stream)
    try:
        yield
    finally:
        _tees.remove(stream)


def configure_logging(level: str = "INFO") -> None:
    """Idempotent: re-running replaces our handler instead of adding a second one."""
    structlog.configure(
        processors=[
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter())
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own handlers would print a second, non-JSON line; its access log is replaced
    # by ours (exactly one line per request, with the route and the trace).
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
