"""Object keys and the URLs that reach them.

Keys start with the asset's id, so the orphan sweep can tell whose every object is:
- `incoming/<asset>`: the upload as received, private, deleted once processed;
- `p/<asset>/<sha256[:20]>-<variant>.<ext>`: public variants. The hash of their own bytes
  makes each URL immutable (new bytes, new URL), so they are cached for a year;
- `d/<asset>/<sha256[:20]>.<ext>`: private documents, reachable only by a signed URL.

A signed URL is `/media/d/<asset>?exp=<unix time>&sig=<HMAC-SHA256>`: the key is derived from
the encryption key, the signature covers the asset and the expiry, so a link can neither be
guessed nor stretched; it stops working after `signed_url_ttl_s`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from fixia.config import Settings

PUBLIC_PREFIX = "p/"
PRIVATE_PREFIX = "d/"
INCOMING_PREFIX = "incoming/"
IMMUTABLE = "public, max-age=31536000, immutable"


def incoming_key(asset_id: uuid.UUID) -> str:
    return f"{INCOMING_PREFIX}{asset_id}"


def variant_key(asset_id: uuid.UUID, digest: str, name: str, ext: str) -> str:
    return f"{PUBLIC_PREFIX}{asset_id}/{digest}-{name}.{ext}"


def document_key(asset_id: uuid.UUID, digest: str, ext: str) -> str:
    return f"{PRIVATE_PREFIX}{asset_id}/{digest}.{ext}"


def public_url(settings: Settings, key: str) -> str:
    base = settings.media.public_base_url
    return f"{base.rstrip('/')}/{key}" if base else f"/media/{key}"


def _signing_key(settings: Settings) -> bytes:
    secret = settings.encryption_key.get_secret_value().encode()
    return hmac.new(secret, b"fixia-media-url-v1", hashlib.sha256).digest()


def _signature(settings: Settings, asset_id: uuid.UUID, expires: int) -> str:
    message = f"{asset_id}.{expires}".encode()
    return hmac.new(_signing_key(settings), message, hashlib.sha256).hexdigest()


def signed_url(settings: Settings, asset_id: uuid.UUID, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + settings.media.signed_url_ttl_s
    return f"/media/d/{asset_id}?exp={expires}&sig={_signature(settings, asset_id, expires)}"


def signature_valid(
    settings: Settings, asset_id: uuid.UUID, expires: int, signature: str, now: float | None = None
) -> bool:
    current = now if now is not None else time.time()
    # A link from the future beyond one TTL was not made by us (or the clock jumped).
    if not current <= expires <= current + settings.media.signed_url_ttl_s:
        return False
    return hmac.compare_digest(signature, _signature(settings, asset_id, expires))


def asset_of_key(key: str) -> str | None:
    """The asset id an object belongs to (as text), or None for a key of no known shape."""
    for prefix in (PUBLIC_PREFIX, PRIVATE_PREFIX, INCOMING_PREFIX):
        if key.startswith(prefix):
            return key[len(prefix) :].split("/", 1)[0]
    return None
