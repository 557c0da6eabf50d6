"""A professional's public profile: the profile (accounts, through the catalog's read cache),
reviews, trust and portfolio (media)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.accounts.web_session import WebUser
from fixia.catalog import cached
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.media import portfolio
from fixia.media import presenters as media_presenters
from fixia.reviews import service as reviews_service
from fixia.trust import public as public_trust
from fixia.web.pages import render

router = APIRouter()


@router.get("/professionals/{professional_id}")
async def professional_profile(
    request: Request,
    professional_id: uuid.UUID,
    user: WebUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> Response:
    pro = await cached.professional(
        session=session, cache=cache, settings=settings, professional_id=professional_id
    )
    reviews, _ = await reviews_service.for_user(
        session=session, user_id=professional_id, role=None, cursor=None, limit=20
    )
    trust = await public_trust.cached_trust(session, cache, professional_id)
    items = await portfolio.items_of(session=session, owner_id=professional_id)
    works = [media_presenters.portfolio_out(settings, i, img) for i, img in items]
    context = {"pro": pro, "reviews": reviews, "trust": trust, "portfolio": works}
    return render(request, "accounts/professional.html", context)
