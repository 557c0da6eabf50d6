"""What else a deleted account erases: the domains that keep a person's data under their own
rows (media: photos, documents, portfolio) sign up here, and `DELETE /me` calls each in the
request's transaction. The composition root (`fixia.main`) hands the list over on
`app.state.personal_data`, so accounts imports none of them."""

from __future__ import annotations

import uuid
from typing import Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.config import Settings


class PersonalData(Protocol):
    async def __call__(
        self, *, session: AsyncSession, settings: Settings, user_id: uuid.UUID
    ) -> object: ...


def holders(request: Request) -> list[PersonalData]:
    found: list[PersonalData] = request.app.state.personal_data
    return found
