"""Media work out of the request: variants, object deletion, the orphan sweep.

Storage is never written while a transaction is open: a short transaction reads what to do,
the objects are written with none open, and a second short one records the result. If the
asset was deleted in between, what was just written is deleted again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import anyio
import procrastinate
from sqlalchemy import select

from fixia.accounts.models import User
from fixia.config import Settings
from fixia.db import transactional, utcnow
from fixia.media import service, urls
from fixia.media.models import MediaAsset, MediaKind, MediaStatus
from fixia.media.variants import (
    CONTENT_TYPES,
    UndecodableImage,
    Variant,
    make_variants,
    reencode_document_image,
)
from fixia.platform.storage import ObjectMissing, ObjectStorage, storage_for
from fixia.queue.core import TaskSpec, runtime_of
from fixia.queue.defer import defer

log = logging.getLogger("fixia.media")
# A sweep looks at this many asset ids per query.
SWEEP_BATCH = 500
# How soon a job that found no upload yet looks again.
UPLOAD_POLL_S = 2.0


async def process(context: procrastinate.JobContext, *, asset_id: str) -> str:
    runtime = runtime_of(context)
    settings, storage = runtime.settings, storage_for(runtime.settings)
    async with transactional(runtime.sessions) as session:
        asset = await session.get(MediaAsset, uuid.UUID(asset_id))
        if asset is None or asset.status is not MediaStatus.pending:
            return "nothing to do"
        kind, content_type, created = asset.kind, asset.content_type, asset.created_at
    try:
        original = await storage.get(urls.incoming_key(uuid.UUID(asset_id)))
    except ObjectMissing:
        return await _missing(runtime.sessions, settings, asset_id, created)
    try:
        made = await anyio.to_thread.run_sync(_render, settings, kind, content_type, original)
    except UndecodableImage:
        return await _fail(runtime.sessions, asset_id, "The image could not be processed.")
    variants, keys = await _store(storage, uuid.UUID(asset_id), kind, made, original)
    async with transactional(runtime.sessions) as session:
        asset = await session.get(MediaAsset, uuid.UUID(asset_id))
        if asset is None:  # deleted while we worked
            await defer(session, service.DELETE_OBJECTS, keys=keys)
            return "deleted meanwhile"
        asset.variants = variants
        asset.stored_bytes = sum(len(v.data) for v in made) if made else len(original)
        asset.size_bytes = 0
        asset.status = MediaStatus.ready
        await _after_ready(session, settings, asset)
    await storage.delete([urls.incoming_key(uuid.UUID(asset_id))])
    return "ready"


def _render(settings: Settings, kind: MediaKind, content_type: str, data: bytes) -> list[Variant]:
    """Variants to store; an empty list means the document is stored as uploaded (a PDF)."""
    media = settings.media
    if kind is MediaKind.document:
        if content_type == "application/pdf":
            return []
        return [reencode_document_image(data, media.max_pixels)]
    return make_variants(data, media.variants, media.max_pixels)


async def _store(
    storage: ObjectStorage, asset_id: uuid.UUID, kind: MediaKind, made: list[Variant], raw: bytes
) -> tuple[dict[str, Any], list[str]]:
    if kind is MediaKind.document:
        if made:
            data, ext = made[0].data, "jpeg"
        else:
            data, ext = raw, "pdf"
        key = urls.document_key(asset_id, Variant("file", ext, 0, 0, data).digest, ext)
        await storage.put(key, data, content_type=CONTENT_TYPES[ext])
        return {"file": key}, [key]
    variants: dict[str, Any] = {}
    keys = []
    for v in made:
        key = urls.variant_key(asset_id, v.digest, v.name, v.fmt)
        await storage.put(
            key, v.data, content_type=CONTENT_TYPES[v.fmt], cache_control=urls.IMMUTABLE
        )
        entry = variants.setdefault(v.name, {"width": v.width, "height": v.height})
        entry[v.fmt] = key
        keys.append(key)
    return variants, keys


async def _after_ready(session: Any, settings: Settings, asset: MediaAsset) -> None:
    """A ready avatar replaces the previous ones; a ready gallery photo may be the cover."""
    if asset.kind is MediaKind.avatar:
        avatars = await service.owned(
            session=session, owner_id=asset.owner_id, kind=MediaKind.avatar
        )
        # Two uploads in quick succession may finish out of order: the newest one wins.
        if any(a.created_at > asset.created_at and a.status is MediaStatus.ready for a in avatars):
            await service.remove(session=session, settings=settings, asset=asset)
            return
        user = await session.get(User, asset.owner_id)
        if user is not None and user.deleted_at is None:
            user.avatar_url = service.card_url(settings, asset)
        for old in avatars:
            if old.created_at < asset.created_at:
                await service.remove(session=session, settings=settings, asset=old)
    if asset.service_id is not None:
        await service.refresh_cover(session=session, settings=settings, service_id=asset.service_id)


async def _missing(sessions: Any, settings: Settings, asset_id: str, created: datetime) -> str:
    """The request stores the bytes right after its commit, and a worker may start first:
    look again shortly, until `upload_wait_s` has passed (the request died meanwhile)."""
    if utcnow() - created < timedelta(seconds=settings.media.upload_wait_s):
        async with transactional(sessions) as session:
            await defer(
                session, service.PROCESS, lock=f"media:{asset_id}",
                delay_s=UPLOAD_POLL_S, asset_id=asset_id,
            )  # fmt: skip
        return "waiting for the upload"
    return await _fail(sessions, asset_id, "The upload was lost; send it again.")


async def _fail(sessions: Any, asset_id: str, reason: str) -> str:
    async with transactional(sessions) as session:
        asset = await session.get(MediaAsset, uuid.UUID(asset_id))
        if asset is not None:
            asset.status, asset.error = MediaStatus.failed, reason
            await defer(session, service.DELETE_OBJECTS, keys=[urls.incoming_key(asset.id)])
    return "failed"


async def delete_objects(context: procrastinate.JobContext, *, keys: list[str]) -> int:
    """Idempotent: a retry deletes what is left, missing keys are fine."""
    await storage_for(runtime_of(context).settings).delete(keys)
    return len(keys)


async def sweep_orphans(context: procrastinate.JobContext, timestamp: int) -> int:
    """Objects no asset points at (a rolled-back upload, a crash between steps, a lost
    delete job), older than the grace period so an upload in flight is never touched."""
    runtime = runtime_of(context)
    storage = storage_for(runtime.settings)
    cutoff = utcnow() - timedelta(seconds=runtime.settings.media.orphan_grace_s)
    candidates: dict[str, list[str]] = {}
    async for item in storage.scan():
        if item.modified < cutoff:
            candidates.setdefault(urls.asset_of_key(item.key) or "", []).append(item.key)
    doomed = candidates.pop("", [])
    ids: dict[uuid.UUID, str] = {}
    for text, keys in candidates.items():
        parsed = _uuid(text)
        if parsed is None:
            doomed += keys  # not an asset's: nothing of ours is named like this
        else:
            ids[parsed] = text
    known: set[uuid.UUID] = set()
    id_list = list(ids)
    async with transactional(runtime.sessions) as session:
        for start in range(0, len(id_list), SWEEP_BATCH):
            batch = id_list[start : start + SWEEP_BATCH]
            found = await session.execute(select(MediaAsset).where(MediaAsset.id.in_(batch)))
            for asset in found.scalars():
                known.add(asset.id)
                live = set(service.keys_of(asset))
                if asset.status is MediaStatus.ready:
                    live.discard(urls.incoming_key(asset.id))
                doomed += [k for k in candidates[ids[asset.id]] if k not in live]
    doomed += [k for i, a in ids.items() if i not in known for k in candidates[a]]
    if doomed:
        await storage.delete(doomed)
        log.info("media sweep removed %d orphaned objects", len(doomed))
    return len(doomed)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


TASKS = [
    TaskSpec(service.PROCESS, process),
    TaskSpec(service.DELETE_OBJECTS, delete_objects),
    TaskSpec("media.sweep_orphans", sweep_orphans, cron=lambda q: q.media_sweep_cron),
]
