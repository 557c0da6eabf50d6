from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from fixia.accounts.dependencies import AdminUser, CurrentUser
from fixia.deps import SessionDep
from fixia.reviews import service
from fixia.reviews.exceptions import NotReviewAuthor, ReviewNotFound
from fixia.reviews.models import Review


async def visible_review(review_id: uuid.UUID, session: SessionDep) -> Review:
    """A review that is not hidden; a hidden one is gone for everyone but moderators."""
    review = await service.load_review(session=session, review_id=review_id)
    if review is None or review.hidden_at is not None:
        raise ReviewNotFound()
    return review


async def own_review(
    user: CurrentUser, review: Annotated[Review, Depends(visible_review)]
) -> Review:
    if review.reviewer_id != user.id:
        raise NotReviewAuthor()
    return review


async def moderated_review(admin: AdminUser, review_id: uuid.UUID, session: SessionDep) -> Review:
    """Any review, hidden or not, locked so two moderators cannot act on it at once."""
    review = await service.load_review(session=session, review_id=review_id, lock=True)
    if review is None:
        raise ReviewNotFound()
    return review


VisibleReview = Annotated[Review, Depends(visible_review)]
OwnReview = Annotated[Review, Depends(own_review)]
ModeratedReview = Annotated[Review, Depends(moderated_review)]
