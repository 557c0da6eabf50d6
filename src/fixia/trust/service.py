"""The trust score from real data: gather a professional's record, score it, store it with
its components, and derive the level and the `verified` flag from it."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import ProfessionalLevel, ProfessionalProfile, User
from fixia.db import utcnow
from fixia.matches.models import Job, JobStatus
from fixia.reviews.models import Review
from fixia.trust.models import (
    TrustScore,
    VerificationRequest,
    VerificationStatus,
    VerificationType,
)
from fixia.trust.score import Record, Score, compute, record_as_dict

# Levels (docs/trust.md). Checked from the top: the first that holds is the level.
TOP_RATED_SCORE, TOP_RATED_REVIEWS, TOP_RATED_RATING = Decimal(85), 10, 4.7
CERTIFIED_SCORE = Decimal(70)


async def verified_types(session: AsyncSession, user_id: uuid.UUID) -> frozenset[VerificationType]:
    now = utcnow()
    rows = await session.scalars(
        select(VerificationRequest.type).where(
            VerificationRequest.user_id == user_id,
            VerificationRequest.status == VerificationStatus.approved,
            (VerificationRequest.expires_at.is_(None)) | (VerificationRequest.expires_at > now),
        )
    )
    return frozenset(rows)


async def gather(session: AsyncSession, user_id: uuid.UUID) -> Record:
    rating = (
        await session.execute(
            select(func.avg(Review.rating), func.count(Review.id)).where(
                Review.reviewed_id == user_id,
                Review.reviewed_role == "professional",
                Review.hidden_at.is_(None),
            )
        )
    ).one()
    jobs = (
        await session.execute(
            select(
                func.count().filter(Job.status == JobStatus.completed),
                func.count().filter(Job.status == JobStatus.cancelled),
                func.count().filter(
                    and_(Job.status == JobStatus.completed, Job.completed_at <= Job.delivery_date)
                ),
            ).where(Job.professional_id == user_id)
        )
    ).one()
    profile = await session.scalar(
        select(ProfessionalProfile).where(ProfessionalProfile.user_id == user_id)
    )
    return Record(
        rating_avg=float(rating[0]) if rating[0] is not None else None,
        review_count=int(rating[1]),
        completed=int(jobs[0]),
        cancelled=int(jobs[1]),
        on_time=int(jobs[2]),
        with_deadline=int(jobs[0]),
        response_time_hours=float(profile.response_time_hours) if profile else None,
        verified=await verified_types(session, user_id),
    )


def level_for(record: Record, score: Score) -> ProfessionalLevel:
    verified = record.verified
    if (
        VerificationType.identity in verified
        and score.total >= TOP_RATED_SCORE
        and record.review_count >= TOP_RATED_REVIEWS
        and (record.rating_avg or 0) >= TOP_RATED_RATING
    ):
        return ProfessionalLevel.top_rated_plus
    if {VerificationType.identity, VerificationType.skills} <= verified and (
        score.total >= CERTIFIED_SCORE
    ):
        return ProfessionalLevel.certificado
    if VerificationType.identity in verified:
        return ProfessionalLevel.verificado
    return ProfessionalLevel.nuevo


async def recompute(session: AsyncSession, user_id: uuid.UUID) -> TrustScore | None:
    """Score the user now and store it; None for a user that no longer exists."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    record = await gather(session, user_id)
    score = compute(record)
    stored = await session.get(TrustScore, user_id) or TrustScore(user_id=user_id)
    stored.score = score.total
    stored.components = {**score.explained(), "record": record_as_dict(record)}
    stored.computed_at = utcnow()
    session.add(stored)
    user.verified = VerificationType.identity in record.verified
    profile = await session.scalar(
        select(ProfessionalProfile).where(ProfessionalProfile.user_id == user_id)
    )
    if profile is not None:
        profile.level = level_for(record, score)
    return stored


async def stored_score(session: AsyncSession, user_id: uuid.UUID) -> TrustScore | None:
    return await session.get(TrustScore, user_id)
