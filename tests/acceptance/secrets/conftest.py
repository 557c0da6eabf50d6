"""One throw-away stack as a deploy leaves it: blue serves, green is stopped."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests import stack as stack_module

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def one_slot_stack() -> Iterator[stack_module.RunningStack]:
    missing = [b for b in ("wrk", "haproxy", "pgbouncer", "redis-server") if not shutil.which(b)]
    if missing:
        message = f"{', '.join(missing)} not installed (scripts/install-system-deps --stack)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    running = stack_module.start()
    try:
        yield running
    finally:
        stack_module.stop_and_remove(running.env, running.state)
