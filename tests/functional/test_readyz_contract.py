"""Readiness of a release whose contract migrations a deploy defers until the old release has
retired (fixiactl sets FIXIA_DB__DEFERRED_REVISIONS on the new slot)."""

from __future__ import annotations

import httpx
import pytest

from fixia import migrate
from fixia.platform import health


@pytest.mark.inprocess  # sets the in-process app's settings
async def test_ready_when_only_deferred_revisions_are_missing(
    client: httpx.AsyncClient, db_exec, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (head,) = migrate.head_revisions()
    known = sorted(migrate.known_revisions())
    previous = known[known.index(head) - 1]
    app = client._transport.app  # type: ignore[attr-defined]
    monkeypatch.setattr(health, "SCHEMA_RECHECK_S", 0.0)  # no cached status between calls
    monkeypatch.setattr(app.state.settings.db, "deferred_revisions", [head])
    await db_exec("UPDATE alembic_version SET version_num = :v", v=previous)
    try:
        r = await client.get("/readyz")
        assert r.status_code == 200, r.json()
        assert r.json()["checks"]["migrations"] == "contract_pending"
        # Behind by more than what was deferred: not ready.
        await db_exec("UPDATE alembic_version SET version_num = :v", v=known[0])
        r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["migrations"].startswith("behind")
    finally:
        await db_exec("UPDATE alembic_version SET version_num = :v", v=head)
        app.state.schema_check = None  # the next readiness call reads the schema afresh
