"""The upload routes' body limits (platform.body_limit): the file's limit plus room for the
multipart envelope and the form's small fields. Every other route keeps the global 1 MiB."""

from __future__ import annotations

import re

from fixia.config import MediaSettings
from fixia.platform.body_limit import RouteLimit

ENVELOPE = 64 * 1024
_ID = r"[0-9a-fA-F-]{32,36}"
IMAGE_ROUTES = (
    ("POST", r"/api/v1/me/avatar"),
    ("POST", rf"/api/v1/services/{_ID}/photos"),
    ("POST", rf"/api/v1/projects/{_ID}/photos"),
    ("POST", r"/api/v1/me/portfolio"),
    ("PUT", rf"/api/v1/media/{_ID}/file"),
    ("POST", r"/account/avatar"),
    ("POST", rf"/my/services/{_ID}/photos"),
    ("POST", rf"/my/projects/{_ID}/photos"),
    ("POST", r"/account/portfolio"),
    ("POST", rf"/messages/{_ID}"),
)
DOCUMENT_ROUTES = (("POST", r"/api/v1/me/documents"), ("POST", r"/account/documents"))


def upload_limits(media: MediaSettings) -> list[RouteLimit]:
    def limits(routes: tuple[tuple[str, str], ...], size: int) -> list[RouteLimit]:
        return [RouteLimit(frozenset({m}), re.compile(p), size + ENVELOPE) for m, p in routes]

    return [
        *limits(IMAGE_ROUTES, media.image_max_bytes),
        *limits(DOCUMENT_ROUTES, media.document_max_bytes),
    ]
