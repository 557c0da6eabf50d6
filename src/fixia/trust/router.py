from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from fixia.accounts.dependencies import AdminUser, CurrentUser
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.platform.ratelimit import rate_limit
from fixia.reviews.dependencies import visible_review
from fixia.reviews.models import Review
from fixia.trust import helpful, phone, public, verifications
from fixia.trust.dependencies import AnyVerification, OwnVerification
from fixia.trust.models import VerificationType
from fixia.trust.presenters import admin_verification_out, verification_out
from fixia.trust.schemas import (
    AdminVerificationOut,
    Decision,
    PhoneConfirm,
    TopRated,
    TrustOut,
    UserStats,
    VerificationCreate,
    VerificationOut,
)

router = APIRouter(tags=["trust"])
VisibleReview = Annotated[Review, Depends(visible_review)]


@router.post(
    "/verifications",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(rate_limit("verification"))],
)
async def request_verification(
    data: VerificationCreate, user: CurrentUser, session: SessionDep
) -> VerificationOut:
    return verification_out(await verifications.create(session=session, user=user, data=data))


@router.get("/verifications/mine")
async def my_verifications(
    user: CurrentUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[VerificationOut]:
    items, next_cursor = await verifications.mine(
        session=session, user=user, cursor=cursor, limit=limit
    )
    return Page(items=[verification_out(v) for v in items], next_cursor=next_cursor, limit=limit)


@router.post("/verifications/{verification_id}/cancel")
async def cancel_verification(request: OwnVerification, session: SessionDep) -> VerificationOut:
    return verification_out(await verifications.cancel(session=session, request=request))


@router.post(
    "/verifications/phone",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(rate_limit("phone_code"))],
)
async def send_phone_code(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> None:
    await phone.start(session=session, settings=settings, user=user)


@router.post("/verifications/phone/confirm")
async def confirm_phone(
    data: PhoneConfirm, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> VerificationOut:
    request = await phone.confirm(session=session, settings=settings, user=user, code=data.code)
    return verification_out(request)


@router.get("/admin/verifications")
async def verification_queue(
    admin: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    type: VerificationType | None = None,
    cursor: CursorParam = None,
    limit: LimitParam = 20,
) -> Page[AdminVerificationOut]:
    items, next_cursor = await verifications.admin_queue(
        session=session, kind=type, cursor=cursor, limit=limit
    )
    documents = await verifications.documents_for(session, [v for v, _ in items])
    out = [admin_verification_out(v, name, settings, documents[v.id]) for v, name in items]
    return Page(items=out, next_cursor=next_cursor, limit=limit)


@router.get("/admin/verifications/stats")
async def verification_stats(admin: AdminUser, session: SessionDep) -> dict[str, dict[str, int]]:
    return await verifications.stats(session=session)


@router.post("/admin/verifications/{verification_id}/decision")
async def decide_verification(
    admin: AdminUser,
    data: Decision,
    request: AnyVerification,
    session: SessionDep,
    settings: SettingsDep,
) -> AdminVerificationOut:
    decided = await verifications.decide(
        session=session, admin=admin, request=request, decision=data
    )
    name = await verifications.owner_name(session, decided)
    documents = await verifications.documents_for(session, [decided])
    return admin_verification_out(decided, name, settings, documents[decided.id])


@router.get("/users/{user_id}/trust")
async def user_trust(user_id: uuid.UUID, session: SessionDep, cache: CacheDep) -> TrustOut:
    return await public.cached_trust(session, cache, user_id)


@router.get("/users/{user_id}/stats")
async def user_stats(user_id: uuid.UUID, session: SessionDep) -> UserStats:
    return await public.stats_of(session, user_id)


@router.get("/professionals/top-rated")
async def top_rated(
    session: SessionDep,
    cache: CacheDep,
    category_id: uuid.UUID | None = None,
    location: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[TopRated]:
    return await public.top_rated(session, cache, category_id, location, limit)


@router.put("/reviews/{review_id}/helpful")
async def vote_helpful(
    review: VisibleReview, user: CurrentUser, session: SessionDep
) -> dict[str, int]:
    return {"helpful": await helpful.vote(session=session, user=user, review=review)}


@router.delete("/reviews/{review_id}/helpful")
async def unvote_helpful(
    review: VisibleReview, user: CurrentUser, session: SessionDep
) -> dict[str, int]:
    return {"helpful": await helpful.unvote(session=session, user=user, review=review)}
