"""Back-office: accounts, disputes, payments and the audit log. Never commits.

Every change an admin makes is written to the audit log in the same transaction as the
change itself, so the log cannot miss an action that happened (or record one that did not).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia import events
from fixia.accounts.exceptions import UserNotFound
from fixia.accounts.models import ProfessionalProfile, Role, User
from fixia.accounts.tokens import revoke_all_refresh_tokens
from fixia.admin import exceptions as exc
from fixia.admin.schemas import AccountStatus, AuditFilter
from fixia.audit import service as audit
from fixia.audit.models import AuditLog
from fixia.db import utcnow
from fixia.matches import service as matches_service
from fixia.matches.exceptions import JobNotFound
from fixia.matches.models import Job, JobStatus
from fixia.payments.models import Payment, PaymentStatus
from fixia.platform.pagination import SortKey, paginate, split_page


def account_status(user: User) -> AccountStatus:
    if user.deleted_at is not None:
        return AccountStatus.deleted
    return AccountStatus.suspended if user.suspended_at is not None else AccountStatus.active


async def _page(
    session: AsyncSession, stmt: Select[Any], model: Any, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Newest first by (created_at, id): the listings here all page the same way."""
    keys = [SortKey(model.created_at, descending=True), SortKey(model.id, descending=True)]
    rows = list((await session.execute(paginate(stmt, keys, cursor, limit))).all())
    page, next_cursor = split_page(rows, limit)
    return [r[0] for r in page], next_cursor


def _like(text: str) -> str:
    """A substring LIKE pattern in which the user's % and _ are literal characters."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_users(
    *,
    session: AsyncSession,
    q: str | None,
    role: Role | None,
    status: AccountStatus | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[User], str | None]:
    stmt = select(User).options(selectinload(User.profile))
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    if role is not None:
        stmt = stmt.where(User.role == role)
    if status is AccountStatus.active:
        stmt = stmt.where(User.deleted_at.is_(None), User.suspended_at.is_(None))
    elif status is AccountStatus.suspended:
        stmt = stmt.where(User.deleted_at.is_(None), User.suspended_at.is_not(None))
    elif status is AccountStatus.deleted:
        stmt = stmt.where(User.deleted_at.is_not(None))
    return await _page(session, stmt, User, cursor, limit)


async def load_managed_user(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    """The account an admin acts on, locked; deleted accounts are beyond management."""
    stmt = (
        select(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .options(selectinload(User.profile))
        .with_for_update(of=User)
    )
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None:
        raise UserNotFound()
    return user


async def suspend(
    *, session: AsyncSession, admin: User, user: User, reason: str, ip: str | None = None
) -> User:
    if user.id == admin.id:
        raise exc.SelfActionRefused("You cannot suspend your own account.")
    if user.suspended_at is not None:
        raise exc.AlreadySuspended()
    user.suspended_at = utcnow()
    # A new token version kills every access token at once; refresh tokens die with it.
    user.token_version += 1
    await revoke_all_refresh_tokens(session=session, user_id=user.id)
    audit.record(
        session=session,
        actor_id=admin.id,
        action="user.suspended",
        target_type="user",
        target_id=user.id,
        ip=ip,
        reason=reason,
    )
    events.emit(session, "user.suspended", user_id=str(user.id))
    return user


async def restore(
    *, session: AsyncSession, admin: User, user: User, reason: str | None, ip: str | None = None
) -> User:
    if user.suspended_at is None:
        raise exc.NotSuspended()
    user.suspended_at = None
    audit.record(
        session=session,
        actor_id=admin.id,
        action="user.restored",
        target_type="user",
        target_id=user.id,
        ip=ip,
        reason=reason,
    )
    events.emit(session, "user.restored", user_id=str(user.id))
    return user


async def change_role(
    *,
    session: AsyncSession,
    admin: User,
    user: User,
    role: Role,
    reason: str,
    ip: str | None = None,
) -> User:
    if user.id == admin.id and role is not Role.admin:
        raise exc.SelfActionRefused("You cannot demote your own account.")
    previous = user.role
    if role is previous:
        return user
    if role in (Role.professional, Role.dual):
        # Professionals are listed and rated through their profile: one must exist.
        if user.profile is None:
            user.profile = ProfessionalProfile(user_id=user.id)
        user.is_professional_active = True
    elif role is Role.client:
        user.is_professional_active = False
    user.role = role
    await session.flush()
    audit.record(
        session=session,
        actor_id=admin.id,
        action="user.role_changed",
        target_type="user",
        target_id=user.id,
        ip=ip,
        reason=reason,
        from_role=previous.value,
        to_role=role.value,
    )
    events.emit(session, "user.role_changed", user_id=str(user.id), role=role.value)
    return user


async def disputes(
    *, session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[Job], str | None]:
    return await matches_service.disputed_jobs(session=session, cursor=cursor, limit=limit)


async def resolve_dispute(
    *,
    session: AsyncSession,
    admin: User,
    job_id: uuid.UUID,
    outcome: JobStatus,
    resolution: str,
    ip: str | None = None,
) -> Job:
    job = await matches_service.load_job(session=session, job_id=job_id, lock=True)
    if job is None:
        raise JobNotFound()
    previous = job.status
    await matches_service.resolve_dispute(
        session=session, job=job, admin=admin, outcome=outcome, resolution=resolution
    )
    audit.record(
        session=session,
        actor_id=admin.id,
        action="dispute.resolved",
        target_type="job",
        target_id=job.id,
        ip=ip,
        reason=resolution,
        from_status=previous.value,
        outcome=outcome.value,
    )
    return job


async def list_payments(
    *, session: AsyncSession, status: PaymentStatus | None, cursor: str | None, limit: int
) -> tuple[list[Payment], str | None]:
    stmt = select(Payment)
    if status is not None:
        stmt = stmt.where(Payment.status == status)
    return await _page(session, stmt, Payment, cursor, limit)


async def list_audit(
    *,
    session: AsyncSession,
    filters: AuditFilter,
    cursor: str | None,
    limit: int,
) -> tuple[list[AuditLog], str | None]:
    stmt = select(AuditLog)
    conditions = {
        AuditLog.target_type: filters.target_type,
        AuditLog.target_id: filters.target_id,
        AuditLog.action: filters.action,
        AuditLog.actor_id: filters.actor_id,
        AuditLog.actor_name: filters.actor_name,
    }
    for column, value in conditions.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.since is not None:
        stmt = stmt.where(AuditLog.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditLog.created_at < filters.until)
    return await _page(session, stmt, AuditLog, cursor, limit)
