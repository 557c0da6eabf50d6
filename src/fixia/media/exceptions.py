from __future__ import annotations

from fixia.errors import Conflict, DomainError, Forbidden, LimitExceeded, NotFound


class MediaNotFound(NotFound):
    """No such photo or document, or it is not yours to see."""

    code, title = "media_not_found", "Media not found"


class PortfolioItemNotFound(NotFound):
    """No such portfolio item, or it is not yours."""

    code, title = "portfolio_item_not_found", "Portfolio item not found"


class NotMediaOwner(Forbidden):
    """Only the owner (or an admin) may change or delete this."""

    code, title = "not_media_owner", "Not your media"


class UploadTooLarge(DomainError):
    """The file is larger than this kind of upload allows."""

    status, code, title = 413, "payload_too_large", "Content Too Large"


class UnsupportedMedia(DomainError):
    """The file is not an image (JPEG, PNG, WebP, GIF) or PDF we can decode safely."""

    status, code, title = 415, "unsupported_media", "Unsupported file"


class MediaLimitReached(LimitExceeded):
    """The gallery, the portfolio or the plan's storage quota is full."""

    code, title = "media_limit_reached", "Media limit reached"


class BadOrder(Conflict):
    """A reorder must name exactly the current items, each once."""

    code, title = "bad_media_order", "The order does not match the current items"


class SignedUrlInvalid(NotFound):
    """The link is wrong or has expired: indistinguishable from a missing file on purpose."""

    code, title = "media_not_found", "Media not found"
