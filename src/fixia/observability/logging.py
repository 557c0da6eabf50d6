"""JSON logs with structlog: one line per event, correlated with the request and its trace.

Both structlog loggers and the stdlib loggers the code and its libraries use (`fixia.*`,
uvicorn, SQLAlchemy) go through one root handler and one processor chain, so every line has
the same shape and passes the same scrubber.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import IO, Any

import structlog
from opentelemetry import trace
from structlog.types import EventDict, Processor

from fixia.observability.scrub import scrub_event

_HANDLER_NAME = "fixia-json"


def add_trace_ids(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """trace_id and span_id of the active span, as the W3C hex strings tools search for."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event.setdefault("span_id", format(ctx.span_id, "016x"))
    return event


def _scrub(_logger: Any, _method: str, event: EventDict) -> EventDict:
    scrubbed: MutableMapping[str, Any] = scrub_event(event)
    return dict(scrubbed)


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
            structlog.processors.JSONRenderer(),
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
