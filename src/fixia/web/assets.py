"""Fingerprinted static assets: `app.css` is served as `app.<sha256 prefix>.css`, forever.

A content hash in the name lets browsers cache for a year (`immutable`): a changed file gets a
new name, so nobody sees a stale stylesheet after a deploy. Compressible files are gzipped
once at startup rather than on every request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from fixia.errors import NotFound

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


class AssetManifest:
    """Maps logical names (`app.css`) to fingerprinted URLs and holds the bytes to serve."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.urls: dict[str, str] = {}
        self.assets: dict[str, Asset] = {}
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            self._add(directory, path)

    def _add(self, root: Path, path: Path) -> None:
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:12]
        logical = path.relative_to(root).as_posix()
        stem, dot, suffix = logical.rpartition(".")
        name = f"{stem}.{digest}.{suffix}" if dot else f"{logical}.{digest}"
        media_type = mimetypes.guess_type(logical)[0] or "application/octet-stream"
        compress = path.suffix in COMPRESSIBLE and len(body) > 256
        self.assets[name] = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0) if compress else None,
            media_type=media_type,
            etag=f'"{digest}"',
        )
        self.urls[logical] = f"/static/{name}"

    def url(self, logical: str) -> str:
        return self.urls[logical]


router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico by that name whatever the page links, so it has a fixed
    URL: cached for a day, not forever."""
    manifest: AssetManifest = request.app.state.assets
    asset = manifest.assets[manifest.url("favicon.ico").removeprefix("/static/")]
    headers = {"Cache-Control": "public, max-age=86400", "ETag": asset.etag}
    return Response(asset.body, media_type="image/vnd.microsoft.icon", headers=headers)


@router.get("/static/{name:path}")
async def static_asset(name: str, request: Request) -> Response:
    manifest: AssetManifest = request.app.state.assets
    asset = manifest.assets.get(name)
    if asset is None:
        raise NotFound("No such asset.")
    headers = {"Cache-Control": IMMUTABLE, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)
