"""Fixtures shared by the functional folders: a real Redis for the tests that need one
(tracing through the cache, the streams' broker conformance)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import redis_server
from tests.servers import session_server


@pytest.fixture(scope="session")
def redis(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[redis_server.RedisServer | redis_server.ExternalRedis]:
    # FIXIA_TEST_REDIS_URL names an external one: e.g. CI's service container.
    with session_server(
        redis_server.external,
        redis_server.available,
        f"redis-server is not installed; {redis_server.INSTALL_HINT}",
        lambda: redis_server.start(tmp_path_factory.mktemp("redis")),
    ) as server:
        yield server
