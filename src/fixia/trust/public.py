"""What anyone may read about a professional's trust: the score and why, badges, stats,
and the top-rated list (cached: it is read on every category page)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import ProfessionalLevel, ProfessionalProfile, User
from fixia.accounts.service import get_active
from fixia.catalog.models import Service
from fixia.matches.models import Job, JobStatus
from fixia.platform.cache import Cache
from fixia.trust import service
from fixia.trust.models import TrustScore, VerificationType
from fixia.trust.schemas import TopRated, TrustOut, UserStats

TOP_RATED_TTL_S = 300.0
# The profile's trust block, under a per-user version the recompute bumps after its commit
# (trust.tasks): a read that began before the commit stores its old copy under the old
# version, where nobody looks any more. The TTL bounds a lost bump (Redis down).
TRUST_TTL_S = 120.0


def trust_namespace(user_id: uuid.UUID) -> str:
    return f"trust:{user_id}"


BADGES = {
    VerificationType.identity: "identidad_verificada",
    VerificationType.skills: "habilidades_verificadas",
    VerificationType.business: "negocio_verificado",
    VerificationType.background_check: "antecedentes_verificados",
    VerificationType.phone: "telefono_verificado",
    VerificationType.email: "email_verificado",
    VerificationType.address: "domicilio_verificado",
}


def badges(components: dict[str, Any], level: ProfessionalLevel | None) -> list[str]:
    """From the stored score's record, so badges and score always come from the same
    recompute (a live read could show a badge the score does not include yet)."""
    record = components.get("record", {})
    found = sorted(BADGES[VerificationType(v)] for v in record.get("verified", []))
    if level is ProfessionalLevel.top_rated_plus:
        found.append("top_rated_plus")
    return found


async def trust_of(session: AsyncSession, user_id: uuid.UUID) -> TrustOut:
    user = await get_active(session=session, user_id=user_id)
    stored = await session.get(TrustScore, user.id)
    level = user.profile.level if user.profile else None  # get_active loaded the profile
    components: dict[str, Any] = stored.components if stored else {}
    return TrustOut(
        user_id=user.id,
        score=str(stored.score) if stored else None,
        level=level,
        badges=badges(components, level),
        components=components.get("components", {}),
        weights=components.get("weights", {}),
        computed_at=stored.computed_at if stored else None,
    )


async def cached_trust(session: AsyncSession, cache: Cache, user_id: uuid.UUID) -> TrustOut:
    async def load() -> dict[str, Any]:
        return (await trust_of(session, user_id)).model_dump(mode="json")

    version = await cache.version(trust_namespace(user_id))
    key = f"{trust_namespace(user_id)}:v{version}"
    return TrustOut.model_validate(await cache.get_or_load("trust", key, TRUST_TTL_S, load))


async def stats_of(session: AsyncSession, user_id: uuid.UUID) -> UserStats:
    user = await get_active(session=session, user_id=user_id)
    done, on_time = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Job.completed_at <= Job.delivery_date),
            ).where(Job.professional_id == user.id, Job.status == JobStatus.completed)
        )
    ).one()
    replies = await service.response_hours(session, [user.id])
    return UserStats(
        user_id=user.id,
        jobs_completed=int(done),
        on_time_rate=round(int(on_time) / int(done), 3) if done else None,
        # Measured in conversations; the profile's declared figure is not a statistic.
        response_time_hours=round(replies[user.id]) if user.id in replies else None,
        member_since=user.created_at,
    )


async def _top_rated(
    session: AsyncSession, category_id: uuid.UUID | None, location: str | None, limit: int
) -> list[dict[str, Any]]:
    stmt = (
        select(User, ProfessionalProfile, TrustScore)
        .join(ProfessionalProfile, ProfessionalProfile.user_id == User.id)
        .join(TrustScore, TrustScore.user_id == User.id)
        .where(User.deleted_at.is_(None), User.suspended_at.is_(None))
        .where(User.is_professional_active.is_(True))
        .order_by(TrustScore.score.desc(), User.id)
        .limit(limit)
    )
    if category_id is not None:
        offers = select(Service.professional_id).where(
            Service.category_id == category_id, Service.active.is_(True)
        )
        stmt = stmt.where(User.id.in_(offers))
    if location:
        stmt = stmt.where(func.lower(User.location).contains(location.lower()))
    rows = (await session.execute(stmt)).all()
    return [
        TopRated(
            id=user.id,
            name=user.name,
            location=user.location,
            level=profile.level,
            score=str(score.score),
            rating=str(profile.rating),
            review_count=profile.review_count,
        ).model_dump(mode="json")
        for user, profile, score in rows
    ]


async def top_rated(
    session: AsyncSession,
    cache: Cache,
    category_id: uuid.UUID | None,
    location: str | None,
    limit: int,
) -> list[TopRated]:
    key = f"top:{category_id or '-'}:{(location or '-').lower()}:{limit}"

    async def load() -> list[dict[str, Any]]:
        return await _top_rated(session, category_id, location, limit)

    rows = await cache.get_or_load("top_rated", key, TOP_RATED_TTL_S, load)
    return [TopRated.model_validate(r) for r in rows]
