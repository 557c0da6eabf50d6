from __future__ import annotations

import uuid
from typing import Annotated, get_args

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from fixia.accounts.dependencies import AdminUser
from fixia.accounts.models import Role
from fixia.admin import service
from fixia.admin.dependencies import ClientIp, ManagedUser
from fixia.admin.presenters import admin_user_out
from fixia.admin.schemas import (
    AccountStatus,
    AdminPaymentOut,
    AdminUserOut,
    AuditFilter,
    AuditOut,
    ReasonIn,
    RoleIn,
)
from fixia.deps import SessionDep
from fixia.matches import service as matches_service
from fixia.matches.models import JobStatus
from fixia.matches.presenters import job_detail, job_out
from fixia.matches.schemas import JobDetail, JobOut, ResolveIn
from fixia.payments.models import PaymentStatus
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.reviews import moderation
from fixia.reviews import service as reviews_service
from fixia.reviews.dependencies import ModeratedReview
from fixia.reviews.presenters import flagged_out, moderated_review_out
from fixia.reviews.schemas import FlaggedReviewOut, ModeratedReviewOut

# The admin check guards the whole router, so no route here can forget it. It is the same
# dependency as AdminUser, which FastAPI therefore resolves once per request.
router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[get_args(AdminUser)[1]])
Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("/users")
async def list_users(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    role: Role | None = None,
    status: AccountStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[AdminUserOut]:
    users, next_cursor = await service.list_users(
        session=session, q=q, role=role, status=status, cursor=cursor, limit=limit
    )
    return Page(items=[admin_user_out(u) for u in users], next_cursor=next_cursor, limit=limit)


@router.post("/users/{user_id}/suspend")
async def suspend_user(
    data: ReasonIn,
    user: ManagedUser,
    admin: AdminUser,
    session: SessionDep,
    ip: ClientIp,
) -> AdminUserOut:
    await service.suspend(session=session, admin=admin, user=user, reason=data.reason, ip=ip)
    return admin_user_out(user)


@router.post("/users/{user_id}/restore")
async def restore_user(
    user: ManagedUser,
    admin: AdminUser,
    session: SessionDep,
    ip: ClientIp,
    data: ReasonIn | None = None,
) -> AdminUserOut:
    reason = data.reason if data else None
    await service.restore(session=session, admin=admin, user=user, reason=reason, ip=ip)
    return admin_user_out(user)


@router.put("/users/{user_id}/role")
async def change_role(
    data: RoleIn,
    user: ManagedUser,
    admin: AdminUser,
    session: SessionDep,
    ip: ClientIp,
) -> AdminUserOut:
    await service.change_role(
        session=session, admin=admin, user=user, role=data.role, reason=data.reason, ip=ip
    )
    return admin_user_out(user)


@router.get("/reviews/flagged")
async def flagged_reviews(
    session: SessionDep, cursor: Cursor = None, limit: Limit = 20
) -> Page[FlaggedReviewOut]:
    items, next_cursor = await moderation.flagged_queue(session=session, cursor=cursor, limit=limit)
    return Page(items=[flagged_out(i) for i in items], next_cursor=next_cursor, limit=limit)


@router.post("/reviews/{review_id}/hide")
async def hide_review(
    data: ReasonIn,
    review: ModeratedReview,
    admin: AdminUser,
    session: SessionDep,
) -> ModeratedReviewOut:
    await moderation.hide(session=session, review=review, admin=admin, reason=data.reason)
    name = await reviews_service.reviewer_name(session=session, review=review)
    return moderated_review_out(review, name)


@router.post("/reviews/{review_id}/restore")
async def restore_review(
    data: ReasonIn,
    review: ModeratedReview,
    admin: AdminUser,
    session: SessionDep,
) -> ModeratedReviewOut:
    await moderation.restore(session=session, review=review, admin=admin, reason=data.reason)
    name = await reviews_service.reviewer_name(session=session, review=review)
    return moderated_review_out(review, name)


@router.get("/disputes")
async def list_disputes(
    session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[JobOut]:
    jobs, next_cursor = await service.disputes(session=session, cursor=cursor, limit=limit)
    return Page(items=[job_out(j) for j in jobs], next_cursor=next_cursor, limit=limit)


@router.post("/disputes/{job_id}/resolve")
async def resolve_dispute(
    job_id: uuid.UUID, data: ResolveIn, admin: AdminUser, session: SessionDep, ip: ClientIp
) -> JobDetail:
    job = await service.resolve_dispute(
        session=session,
        admin=admin,
        job_id=job_id,
        outcome=JobStatus(data.outcome),
        resolution=data.resolution,
        ip=ip,
    )
    return job_detail(job, await matches_service.history(session=session, job=job))


@router.get("/payments")
async def list_payments(
    session: SessionDep,
    status: PaymentStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[AdminPaymentOut]:
    rows, next_cursor = await service.list_payments(
        session=session, status=status, cursor=cursor, limit=limit
    )
    return Page(
        items=[AdminPaymentOut.model_validate(p) for p in rows],
        next_cursor=next_cursor,
        limit=limit,
    )


@router.get("/audit")
async def list_audit(
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64, description="event type")] = None,
    actor_id: uuid.UUID | None = None,
    actor_name: Annotated[str | None, Query(max_length=128)] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[AwareDatetime | None, Query(description="inclusive, ISO 8601")] = None,
    until: Annotated[AwareDatetime | None, Query(description="exclusive, ISO 8601")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditOut]:
    """Security events, newest first, filtered by type, actor, object and time range."""
    filters = AuditFilter(
        action=action,
        actor_id=actor_id,
        actor_name=actor_name,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    rows, next_cursor = await service.list_audit(
        session=session, filters=filters, cursor=cursor, limit=limit
    )
    return Page(
        items=[AuditOut.model_validate(a) for a in rows], next_cursor=next_cursor, limit=limit
    )
