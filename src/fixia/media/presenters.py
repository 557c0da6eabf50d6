"""Rows to response models: URLs are made here, from settings, never stored."""

from __future__ import annotations

import time

from fixia.config import Settings
from fixia.media import urls
from fixia.media.models import MediaAsset, MediaStatus, PortfolioItem
from fixia.media.schemas import DocumentOut, MediaOut, PortfolioItemOut, VariantOut


def variants_out(settings: Settings, asset: MediaAsset) -> list[VariantOut]:
    if asset.status is not MediaStatus.ready:
        return []
    found = []
    for name, entry in sorted((asset.variants or {}).items(), key=lambda e: _width(e[1])):
        if isinstance(entry, dict) and "webp" in entry and "jpeg" in entry:
            found.append(
                VariantOut(
                    name=name,
                    width=int(entry["width"]),
                    height=int(entry["height"]),
                    webp=urls.public_url(settings, str(entry["webp"])),
                    jpeg=urls.public_url(settings, str(entry["jpeg"])),
                )
            )
    return found


def _width(entry: object) -> int:
    return int(entry.get("width", 0)) if isinstance(entry, dict) else 0


def media_out(settings: Settings, asset: MediaAsset) -> MediaOut:
    variants = variants_out(settings, asset)
    card = next((v for v in variants if v.name == "card"), variants[-1] if variants else None)
    return MediaOut(
        id=asset.id,
        kind=asset.kind,
        status=asset.status,
        alt=asset.alt,
        position=asset.position,
        content_type=asset.content_type,
        width=asset.width,
        height=asset.height,
        variants=variants,
        url=card.jpeg if card else None,
        srcset_webp=", ".join(f"{v.webp} {v.width}w" for v in variants) or None,
        srcset_jpeg=", ".join(f"{v.jpeg} {v.width}w" for v in variants) or None,
        error=asset.error,
        created_at=asset.created_at,
    )


def document_out(settings: Settings, asset: MediaAsset) -> DocumentOut:
    ready = asset.status is MediaStatus.ready
    return DocumentOut(
        id=asset.id,
        status=asset.status,
        label=asset.label,
        content_type=asset.content_type,
        created_at=asset.created_at,
        url=urls.signed_url(settings, asset.id, time.time()) if ready else None,
        expires_in_s=settings.media.signed_url_ttl_s if ready else None,
    )


def portfolio_out(
    settings: Settings, item: PortfolioItem, image: MediaAsset | None
) -> PortfolioItemOut:
    return PortfolioItemOut(
        id=item.id,
        title=item.title,
        description=item.description,
        project_url=item.project_url,
        category_id=item.category_id,
        tags=list(item.tags or []),
        featured=item.featured,
        position=item.position,
        image=media_out(settings, image) if image is not None else None,
    )
