from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fixia.accounts.exceptions import UserNotFound
from fixia.accounts.models import User
from fixia.deps import SessionDep


async def valid_professional_id(professional_id: uuid.UUID, session: SessionDep) -> User:
    stmt = (
        select(User)
        .where(User.id == professional_id, User.deleted_at.is_(None), User.suspended_at.is_(None))
        .options(selectinload(User.profile))
    )
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None or user.profile is None:
        raise UserNotFound("No such professional.")
    return user


ValidProfessional = Annotated[User, Depends(valid_professional_id)]
