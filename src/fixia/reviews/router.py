from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from fixia.accounts import service as accounts_service
from fixia.accounts.dependencies import CurrentUser
from fixia.deps import SessionDep, SettingsDep
from fixia.matches.dependencies import PartyJob, ViewableJob
from fixia.platform.pagination import Page
from fixia.reviews import service
from fixia.reviews.dependencies import OwnReview, VisibleReview
from fixia.reviews.presenters import review_out
from fixia.reviews.schemas import (
    FlagCreate,
    FlagOut,
    ReviewCreate,
    ReviewedRole,
    ReviewOut,
    ReviewUpdate,
)

router = APIRouter(tags=["reviews"])


@router.post("/jobs/{job_id}/reviews", status_code=status.HTTP_201_CREATED)
async def create_review(
    data: ReviewCreate, job: PartyJob, user: CurrentUser, session: SessionDep
) -> ReviewOut:
    review = await service.create(session=session, job=job, reviewer=user, data=data)
    return review_out(review, user.name)


@router.get("/jobs/{job_id}/reviews")
async def job_reviews(job: ViewableJob, user: CurrentUser, session: SessionDep) -> list[ReviewOut]:
    rows = await service.for_job(session=session, job=job, viewer=user)
    return [review_out(review, name) for review, name in rows]


@router.patch("/reviews/{review_id}")
async def update_review(
    data: ReviewUpdate,
    review: OwnReview,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ReviewOut:
    updated = await service.update_review(
        session=session, settings=settings, review=review, data=data
    )
    return review_out(updated, user.name)


@router.get("/users/{user_id}/reviews")
async def user_reviews(
    user_id: uuid.UUID,
    session: SessionDep,
    role: ReviewedRole | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ReviewOut]:
    reviewed = await accounts_service.get_active(session=session, user_id=user_id)
    rows, next_cursor = await service.for_user(
        session=session, user_id=reviewed.id, role=role, cursor=cursor, limit=limit
    )
    return Page(
        items=[review_out(r, name) for r, name in rows], next_cursor=next_cursor, limit=limit
    )


@router.post("/reviews/{review_id}/flags", status_code=status.HTTP_201_CREATED)
async def flag_review(
    data: FlagCreate, user: CurrentUser, review: VisibleReview, session: SessionDep
) -> FlagOut:
    return FlagOut.model_validate(
        await service.flag(session=session, review=review, user=user, reason=data.reason)
    )
