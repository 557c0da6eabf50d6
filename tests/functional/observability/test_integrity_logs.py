"""Issue #27, item 6: an integrity error's log line carries no SQL parameters: no e-mail, no
password hash. The engine hides parameters from its exceptions, the handler logs only the
constraint, and the scrubber removes a parameter dump or a key detail wherever one appears."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import make_transient

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import uuid7
from fixia.deps import SessionDep
from fixia.main import create_app
from fixia.observability.logging import flush_lines
from fixia.observability.scrub import scrub_text
from fixia.platform.email import OutboxEmailSender
from tests.factories.accounts import register
from tests.functional.observability.conftest import LogCapture

pytestmark = pytest.mark.inprocess


async def test_a_duplicate_key_logs_no_email_or_hash(
    settings: Settings, outbox: Path, logs: LogCapture, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(settings, mailer=OutboxEmailSender(outbox, "t@fixia"))

    # The race the unique index backstops (two registrations at once), made deterministic:
    # insert a copy of an existing user, every column a bound parameter.
    async def duplicate(email: str, session: SessionDep) -> None:
        user = (await session.execute(select(User).where(User.email == email))).scalar_one()
        session.expunge(user)
        make_transient(user)
        user.id = uuid7()
        session.add(user)
        await session.flush()

    app.add_api_route("/api/v1/test-duplicate", duplicate, methods=["POST"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        account = await register(client, outbox, login=False)
        r = await client.post("/api/v1/test-duplicate", params={"email": account.email})
        assert r.status_code == 409
    async with app.state.sessions() as session:
        hashed = await session.scalar(select(User.password_hash).where(User.email == account.email))
    await app.state.engine.dispose()
    flush_lines()
    everything = logs.text + "".join(capfd.readouterr())
    assert "integrity error" in everything
    assert hashed and hashed not in everything
    assert account.email not in everything


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("[SQL: INSERT INTO users ...]\n[parameters: ('a@b.com', '$argon2id$v=19$x')]", "$argon2"),
        ("DETAIL:  Key (email)=(ana@example.com) already exists.", "ana@example.com"),
    ],
)
def test_the_scrubber_removes_sql_parameters_and_key_details(text: str, leak: str) -> None:
    assert leak not in scrub_text(text)
