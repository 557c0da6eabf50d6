"""What an upload really is, found by decoding it: never its name or declared type.

Images are opened with Pillow, which reads the header only: dimensions and frame count are
checked before a single pixel is decoded, so a decompression bomb (a few KB claiming 50,000
x 50,000 pixels) is refused here at no cost. The worker decodes the pixels later, bounded by
the same limits. PDFs are parsed with pypdf. Anything else (SVG, HTML, scripts, archives,
polyglots) is refused.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import DictionaryObject
from starlette.datastructures import UploadFile

from fixia.config import MediaSettings
from fixia.media.exceptions import UnsupportedMedia, UploadTooLarge

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
CHUNK = 64 * 1024
# Markup a browser would sniff as a page or run as script. A real photo does not contain
# these strings; a polyglot (a valid JPEG that is also an HTML page) does.
_MARKUP = re.compile(rb"<\s*(script|html|svg|body|iframe|!doctype|\?xml)", re.IGNORECASE)
# PDF features that execute or launch things: refused, documents are for reading.
_PDF_ACTIVE = ("/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA", "/EmbeddedFile")


@dataclass(frozen=True)
class Checked:
    content_type: str
    width: int | None = None
    height: int | None = None


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The file's bytes; refused as soon as it passes `limit` (the body limit middleware
    already cut the request near this, counting what it reads)."""
    parts: list[bytes] = []
    seen = 0
    while chunk := await upload.read(CHUNK):
        seen += len(chunk)
        if seen > limit:
            raise UploadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
        parts.append(chunk)
    if seen == 0:
        raise UnsupportedMedia("The file is empty.")
    return b"".join(parts)


def check_image(data: bytes, media: MediaSettings) -> Checked:
    if _MARKUP.search(data):
        raise UnsupportedMedia("The file contains markup; only plain photos are accepted.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
        with image:
            if image.format not in IMAGE_FORMATS:
                raise UnsupportedMedia("Only JPEG, PNG, WebP and GIF images are accepted.")
            width, height = image.size
            if width < 1 or height < 1 or width * height > media.max_pixels:
                raise UnsupportedMedia(
                    f"The image is too large ({width}x{height}); at most "
                    f"{media.max_pixels // 1_000_000} megapixels."
                )
            if getattr(image, "n_frames", 1) > media.max_frames:
                raise UnsupportedMedia(f"Animations may have at most {media.max_frames} frames.")
            content_type = IMAGE_FORMATS[image.format]
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as error:  # fmt: skip
        raise UnsupportedMedia("The file is not an image we can read.") from error
    return Checked(content_type, width, height)


def check_pdf(data: bytes) -> Checked:
    if not data.startswith(b"%PDF-"):
        raise UnsupportedMedia("The file is not a PDF.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise UnsupportedMedia("Encrypted PDFs are refused: send it without a password.")
        if len(reader.pages) < 1:
            raise UnsupportedMedia("The PDF has no pages.")
        root = reader.trailer["/Root"].get_object()
        names = root.get("/Names") if isinstance(root, DictionaryObject) else None
        names = names.get_object() if names is not None else None
        scripted = isinstance(names, DictionaryObject) and "/JavaScript" in names
        if (
            not isinstance(root, DictionaryObject)
            or scripted
            or any(k in root for k in _PDF_ACTIVE)
        ):
            raise UnsupportedMedia("PDFs with scripts, actions or attachments are refused.")
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError) as error:
        raise UnsupportedMedia("The PDF could not be read.") from error
    return Checked("application/pdf")


def check_document(data: bytes, media: MediaSettings) -> Checked:
    """A verification document: a photo of it, or a PDF."""
    if data.startswith(b"%PDF-"):
        return check_pdf(data)
    return check_image(data, media)


async def read_image(upload: UploadFile, media: MediaSettings) -> tuple[bytes, Checked]:
    data = await read_limited(upload, media.image_max_bytes)
    return data, check_image(data, media)


async def read_document(upload: UploadFile, media: MediaSettings) -> tuple[bytes, Checked]:
    data = await read_limited(upload, media.document_max_bytes)
    return data, check_document(data, media)
