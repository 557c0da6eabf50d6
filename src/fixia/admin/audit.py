"""The audit log: one call records who did what to which object."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.admin.models import AuditLog


def record(
    *,
    session: AsyncSession,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    ip: str | None = None,
    **data: Any,
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        data=data,
        ip=ip,
    )
    session.add(entry)
    return entry
