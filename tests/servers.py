"""The suite's session servers (PostgreSQL, Redis): the one CI names, or one we start.

A missing binary fails the run under CI (CI=true) and skips elsewhere: a server that is not
there must never pass silently where it is required.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


class Stoppable(Protocol):
    def stop(self) -> None: ...


External = TypeVar("External", bound=Stoppable)
Local = TypeVar("Local", bound=Stoppable)


@contextmanager
def session_server(
    external: Callable[[], External | None],
    available: Callable[[], bool],
    missing: str,
    start: Callable[[], Local],
) -> Iterator[External | Local]:
    server: External | Local | None = external()
    if server is None:
        if not available():
            if IN_CI:
                pytest.fail(missing)
            pytest.skip(missing)
        server = start()
    try:
        yield server
    finally:
        server.stop()
