"""The trust score from real data: gather professionals' records, score them, store each with
its components, and derive the level and the `verified` flag from it.

Set-based: one query per input for a whole batch of users, so `fixia trust recompute-all`
scores every professional in a handful of statements per batch, and the single recompute the
queue runs after a commit is the same code with a batch of one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import ProfessionalLevel, ProfessionalProfile, User
from fixia.conversations import public as conversations
from fixia.conversations.models import Message
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
    return (await _verified_many(session, [user_id]))[user_id]


async def _verified_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, frozenset[VerificationType]]:
    now = utcnow()
    rows = await session.execute(
        select(VerificationRequest.user_id, VerificationRequest.type).where(
            VerificationRequest.user_id.in_(user_ids),
            VerificationRequest.status == VerificationStatus.approved,
            (VerificationRequest.expires_at.is_(None)) | (VerificationRequest.expires_at > now),
        )
    )
    found: dict[uuid.UUID, set[VerificationType]] = defaultdict(set)
    for user_id, kind in rows:
        found[user_id].add(kind)
    return {u: frozenset(found.get(u, ())) for u in user_ids}


async def _ratings(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[float | None, int]]:
    rows = await session.execute(
        select(Review.reviewed_id, func.avg(Review.rating), func.count(Review.id))
        .where(
            Review.reviewed_id.in_(user_ids),
            Review.reviewed_role == "professional",
            Review.hidden_at.is_(None),
        )
        .group_by(Review.reviewed_id)
    )
    return {u: (float(avg) if avg is not None else None, int(n)) for u, avg, n in rows}


async def _jobs(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    rows = await session.execute(
        select(
            Job.professional_id,
            func.count().filter(Job.status == JobStatus.completed),
            func.count().filter(Job.status == JobStatus.cancelled),
            func.count().filter(
                and_(Job.status == JobStatus.completed, Job.completed_at <= Job.delivery_date)
            ),
        )
        .where(Job.professional_id.in_(user_ids))
        .group_by(Job.professional_id)
    )
    return {u: (int(done), int(cancelled), int(on_time)) for u, done, cancelled, on_time in rows}


async def _profiles(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProfessionalProfile]:
    rows = await session.scalars(
        select(ProfessionalProfile).where(ProfessionalProfile.user_id.in_(user_ids))
    )
    return {p.user_id: p for p in rows}


async def response_hours(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """The measured median reply time in conversations, for those who answered anyone in the
    window. The profile's own `response_time_hours` is what the professional declares and
    never enters the score: anyone could type 1."""
    since = utcnow() - timedelta(days=conversations.WINDOW_DAYS)
    senders = await session.scalars(
        select(Message.sender_id)
        .where(Message.sender_id.in_(user_ids), Message.created_at >= since)
        .distinct()
    )
    found = {}
    for user_id in senders:
        measured = await conversations.response_time_of(session, user_id)
        if measured is not None:
            found[user_id] = measured.total_seconds() / 3600
    return found


async def gather_many(
    session: AsyncSession,
    user_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, Record]:
    ratings, jobs = await _ratings(session, user_ids), await _jobs(session, user_ids)
    verified = await _verified_many(session, user_ids)
    replies = await response_hours(session, user_ids)
    records = {}
    for u in user_ids:
        avg, count = ratings.get(u, (None, 0))
        done, cancelled, on_time = jobs.get(u, (0, 0, 0))
        records[u] = Record(
            rating_avg=avg,
            review_count=count,
            completed=done,
            cancelled=cancelled,
            on_time=on_time,
            with_deadline=done,
            response_time_hours=replies.get(u),
            verified=verified[u],
        )
    return records


async def gather(session: AsyncSession, user_id: uuid.UUID) -> Record:
    return (await gather_many(session, [user_id]))[user_id]


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


async def recompute_many(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TrustScore]:
    """Score these users now and store it; users that no longer exist are left out."""
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}
    ids = [u for u in user_ids if u in users]
    if not ids:
        return {}
    profiles = await _profiles(session, ids)
    records = await gather_many(session, ids)
    stored = {
        s.user_id: s
        for s in await session.scalars(select(TrustScore).where(TrustScore.user_id.in_(ids)))
    }
    now = utcnow()
    for u in ids:
        record, row = records[u], stored.get(u) or TrustScore(user_id=u)
        score = compute(record)
        row.score = score.total
        row.components = {**score.explained(), "record": record_as_dict(record)}
        row.computed_at = now
        session.add(row)
        stored[u] = row
        users[u].verified = VerificationType.identity in record.verified
        if (profile := profiles.get(u)) is not None:
            profile.level = level_for(record, score)
    return stored


async def recompute(session: AsyncSession, user_id: uuid.UUID) -> TrustScore | None:
    """Score the user now and store it; None for a user that no longer exists."""
    return (await recompute_many(session, [user_id])).get(user_id)


async def repliers_since(session: AsyncSession, since: datetime) -> list[uuid.UUID]:
    """Professionals who sent a message since `since`: whose reply time may have moved."""
    rows = await session.scalars(
        select(Message.sender_id)
        .join(ProfessionalProfile, ProfessionalProfile.user_id == Message.sender_id)
        .where(Message.created_at >= since)
        .distinct()
    )
    return list(rows)


async def professional_ids_after(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """One keyset page of professionals, in id order (a restartable walk over all of them)."""
    query = select(ProfessionalProfile.user_id).order_by(ProfessionalProfile.user_id).limit(limit)
    if after is not None:
        query = query.where(ProfessionalProfile.user_id > after)
    return list(await session.scalars(query))


async def stored_score(session: AsyncSession, user_id: uuid.UUID) -> TrustScore | None:
    return await session.get(TrustScore, user_id)
