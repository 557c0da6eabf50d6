"""Keep cached public reads in step with rating changes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fixia.catalog import cached
from fixia.platform.cache import Cache
from fixia.reviews.models import Review
from fixia.reviews.service import PROFESSIONAL


async def invalidate_rating(session: AsyncSession, cache: Cache, review: Review) -> None:
    """A professional's average shows on their cached profile and service cards; a client's
    average is never cached, so nothing to drop for them."""
    if review.reviewed_role == PROFESSIONAL:
        await cached.invalidate_professional(session, cache, review.reviewed_id)
