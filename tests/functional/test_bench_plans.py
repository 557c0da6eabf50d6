"""`make bench` EXPLAINs the API's search shapes on its dataset: every shape's statement, card
joins included, is planned by a real PostgreSQL (the 100k verdict is the bench's)."""

from __future__ import annotations

import uuid

from fixia import migrate
from fixia.config import Settings
from fixiactl.bench.floor import PLAN_SHAPES, check_plans
from tests import pg


def test_every_search_shape_is_explained(pg_server: pg.PgServer | pg.ExternalPg) -> None:
    url = pg_server.create_database(f"fixia_plans_{uuid.uuid4().hex[:8]}")
    migrate.upgrade(Settings(env="test", database_url=url))
    verdicts = check_plans(url)
    assert set(verdicts) == set(PLAN_SHAPES)
    assert all(isinstance(ok, bool) for ok in verdicts.values())
