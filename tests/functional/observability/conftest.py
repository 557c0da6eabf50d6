"""Fixtures for the observability tests: a real Redis, an in-memory span exporter and a
capture of every log line exactly as the JSON formatter renders it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fixia.observability.logging import json_formatter, tee


class _Gate(SimpleSpanProcessor):
    """Keeps spans only while a test asks for them: the global provider cannot be removed,
    and the rest of the session must not pile spans up in memory."""

    active = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.active:
            super().on_end(span)


@pytest.fixture(scope="session")
def _session_spans() -> tuple[InMemorySpanExporter, _Gate]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    gate = _Gate(exporter)
    provider.add_span_processor(gate)
    return exporter, gate


@pytest.fixture
def spans(
    _session_spans: tuple[InMemorySpanExporter, _Gate],
) -> Iterator[InMemorySpanExporter]:
    exporter, gate = _session_spans
    exporter.clear()
    gate.active = True
    yield exporter
    gate.active = False
    exporter.clear()


class LogCapture:
    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setFormatter(json_formatter())

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("logger") == "fixia.access"]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Attach after the app exists (create_app reconfigures the root logger). Stdlib lines
    come through a root handler, the access log's direct lines through a tee."""
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture.handler)
    with tee(capture.buffer):
        yield capture
    root.removeHandler(capture.handler)


@pytest.fixture
def journey_outbox(outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    return outbox
