from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from fixia.accounts.dependencies import (
    CurrentUser,
    OptionalUser,
    ProfessionalUser,
    ValidProfessional,
)
from fixia.catalog import cached, fastpath, favorites, localities, service, suggest
from fixia.catalog.dependencies import (
    OwnedService,
    ViewerKey,
    VisibleService,
    valid_service_id,
    visible_service,
)
from fixia.catalog.presenters import service_out
from fixia.catalog.schemas import (
    ActiveIn,
    CategoryOut,
    FavoriteOut,
    LocalityOut,
    SearchPage,
    ServiceCreate,
    ServiceOut,
    ServiceQuery,
    ServiceUpdate,
    SortBy,
    Suggestion,
)
from fixia.deps import CacheDep, SessionDep, SettingsDep
from fixia.media import service as media_service
from fixia.platform import flags
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.platform.ratelimit import rate_limit

router = APIRouter(tags=["catalog"])


# The cached reads answer with stored bytes (`cached.stored`); their hits never get here
# (`catalog/fastpath.py`). `response_model` keeps their schema in the OpenAPI document.
@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(
    request: Request, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    return await cached.stored(
        request,
        cache,
        key=lambda _version: fastpath.CATEGORIES_KEY,
        ttl_s=settings.cache.categories_ttl_s,
        name="categories_response",
        load=lambda: cached.categories(session=session, cache=cache, settings=settings),
    )


@router.get("/services", response_model=SearchPage)
async def search_services(
    request: Request,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    query: Annotated[ServiceQuery, Query()],
) -> Response:
    client = request.client.host if request.client else None
    if query.sort == SortBy.relevance and flags.enabled(
        fastpath.RANKING_FLAG,
        default=False,
        key=client or "anonymous",
        location=query.location or "",
    ):
        # The new ranking: best-rated first. A different query, so a different cache key.
        query = query.model_copy(update={"sort": SortBy.rating})
    ranking = query.sort.value
    raw = request.url.query
    # Stored for the fast path only when its reading of the raw query agrees with ours.
    agrees = fastpath.raw_ranking(raw, client) == ranking
    return await cached.stored(
        request,
        cache,
        key=(lambda version: fastpath.search_key(raw, ranking, version)) if agrees else None,
        ttl_s=settings.cache.search_ttl_s,
        load=lambda: cached.search_bytes(session=session, settings=settings, query=query),
        headers=((b"x-fixia-ranking", ranking.encode()),),
        name="search_response",
    )


@router.get("/search/suggest", dependencies=[Depends(rate_limit("suggest"))])
async def search_suggest(
    response: Response, settings: SettingsDep, q: Annotated[str, Query(max_length=100)] = ""
) -> list[Suggestion]:
    """Completions for a search box: trades, categories, localities (data files only)."""
    # Shared caches and browsers may keep it: the answer depends on nothing but q.
    response.headers["Cache-Control"] = f"public, max-age={int(settings.cache.suggest_ttl_s)}"
    return suggest.suggest(q)


@router.get("/localities")
async def list_localities(response: Response, settings: SettingsDep) -> list[LocalityOut]:
    """The localities of Chubut that search and service areas understand."""
    response.headers["Cache-Control"] = f"public, max-age={int(settings.cache.suggest_ttl_s)}"
    return [
        LocalityOut(slug=loc.slug, name=loc.name, lat=loc.lat, lon=loc.lon)
        for loc in localities.all_localities().values()
    ]


@router.post("/services", status_code=status.HTTP_201_CREATED)
async def create_service(
    data: ServiceCreate,
    user: ProfessionalUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ServiceOut:
    created = await service.create_service(
        session=session, settings=settings, owner=user, data=data
    )
    return service_out(created)


@router.get("/services/mine")
async def my_services(
    user: ProfessionalUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ServiceOut]:
    items, next_cursor = await service.list_own(
        session=session, owner=user, cursor=cursor, limit=limit
    )
    return Page(items=[service_out(s) for s in items], next_cursor=next_cursor, limit=limit)


@router.get("/services/{service_id}", response_model=ServiceOut)
async def get_service(
    request: Request,
    service_id: uuid.UUID,
    user: OptionalUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> ServiceOut | Response:
    if user is None:
        return await cached.stored(
            request,
            cache,
            key=lambda _version: fastpath.service_key(service_id),
            ttl_s=settings.cache.service_ttl_s,
            name="service_response",
            load=lambda: cached.public_service(
                session=session, cache=cache, settings=settings, service_id=service_id
            ),
        )
    # Signed-in callers may be the owner of an inactive listing: never served from the cache.
    found = await valid_service_id(service_id, session)
    return service_out(await visible_service(found, user))


@router.patch("/services/{service_id}")
async def update_service(
    data: ServiceUpdate, found: OwnedService, session: SessionDep
) -> ServiceOut:
    return service_out(await service.update_service(session=session, service=found, data=data))


@router.put("/services/{service_id}/active")
async def set_active(
    data: ActiveIn,
    found: OwnedService,
    user: ProfessionalUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ServiceOut:
    return service_out(
        await service.set_active(
            session=session,
            settings=settings,
            service=found,
            owner=found.professional,
            active=data.active,
        )
    )


@router.delete("/services/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_service(found: OwnedService, session: SessionDep) -> None:
    await service.delete_service(session=session, service=found)
    await media_service.remove_gallery(session=session, service_id=found.id)


@router.post("/services/{service_id}/views", dependencies=[Depends(rate_limit("views"))])
async def record_view(
    found: VisibleService, user: OptionalUser, viewer: ViewerKey, session: SessionDep
) -> dict[str, int]:
    count = await service.record_view(
        session=session, service=found, viewer=user, viewer_key=viewer
    )
    return {"view_count": count}


@router.get("/me/favorites")
async def list_favorites(
    user: CurrentUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[FavoriteOut]:
    rows, next_cursor = await favorites.list_for(
        session=session, user=user, cursor=cursor, limit=limit
    )
    items = [
        FavoriteOut(
            id=f.id,
            created_at=f.created_at,
            service=service_out(s) if s is not None else None,
            professional_id=p.id if p else None,
            professional_name=p.name if p else None,
        )
        for f, s, p in rows
    ]
    return Page(items=items, next_cursor=next_cursor, limit=limit)


@router.put("/me/favorites/services/{service_id}", status_code=status.HTTP_201_CREATED)
async def favorite_service(
    found: VisibleService, user: CurrentUser, session: SessionDep
) -> FavoriteOut:
    fav = await favorites.add(session=session, user=user, service_id=found.id)
    return FavoriteOut(id=fav.id, created_at=fav.created_at, service=service_out(found))


@router.delete("/me/favorites/services/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unfavorite_service(service_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    # By id, not by visible service: a listing hidden since must still be removable.
    await favorites.remove(session=session, user=user, service_id=service_id)


@router.put("/me/favorites/professionals/{professional_id}", status_code=status.HTTP_201_CREATED)
async def favorite_professional(
    professional: ValidProfessional, user: CurrentUser, session: SessionDep
) -> FavoriteOut:
    fav = await favorites.add(session=session, user=user, professional_id=professional.id)
    return FavoriteOut(
        id=fav.id,
        created_at=fav.created_at,
        professional_id=professional.id,
        professional_name=professional.name,
    )


@router.delete(
    "/me/favorites/professionals/{professional_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def unfavorite_professional(
    professional_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await favorites.remove(session=session, user=user, professional_id=professional_id)
