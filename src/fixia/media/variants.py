"""Re-encoding an upload into its served variants (runs in the worker, in a thread).

Every variant is drawn onto a fresh image, so nothing of the original's metadata (EXIF with
GPS, XMP, comments, ICC, trailing bytes of a polyglot) can reach a served file. Pillow's
`draft` lets JPEG decode at a reduced scale, which bounds the memory a large photo takes;
the pixel limit was checked on upload and is checked again here before decoding.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

FORMATS = (("webp", "WEBP", "image/webp"), ("jpeg", "JPEG", "image/jpeg"))
CONTENT_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "pdf": "application/pdf"}


class UndecodableImage(ValueError):
    """The worker could not make variants of the upload."""


@dataclass(frozen=True)
class Variant:
    name: str  # thumb, card, full
    fmt: str  # webp, jpeg
    width: int
    height: int
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:20]


def make_variants(data: bytes, sizes: dict[str, int], max_pixels: int) -> list[Variant]:
    base = _decode(data, max(sizes.values()), max_pixels)
    made = []
    for name, side in sorted(sizes.items(), key=lambda item: item[1]):
        image = base.copy()
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        clean = Image.new("RGB", image.size)
        clean.paste(image)
        for fmt, pil_format, _ in FORMATS:
            out = io.BytesIO()
            options = {"quality": 80, "method": 4} if fmt == "webp" else {"quality": 82}
            if fmt == "jpeg":
                options.update(optimize=True, progressive=True)
            clean.save(out, pil_format, exif=b"", **options)
            made.append(Variant(name, fmt, clean.width, clean.height, out.getvalue()))
    return made


def _decode(data: bytes, longest: int, max_pixels: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image: Image.Image = opened
            if image.width * image.height > max_pixels:
                raise UndecodableImage(f"{image.width}x{image.height} is over the pixel limit")
            image.seek(0)  # animations: the first frame
            # JPEG only: decode at 1/2, 1/4 or 1/8 scale when the largest variant allows.
            image.draft("RGB", (longest, longest))
            if image.mode in ("P", "PA", "1"):
                image = image.convert("RGBA")  # palette images resize badly
            # Shrink in place right after decoding: one full-size copy at most (40 MP RGBA
            # is 160 MB), every later step works on the small one.
            image.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=3.0)
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("RGBA", "LA", "P", "PA"):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                return flat
            return upright.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UndecodableImage(str(error)[:150]) from error


def reencode_document_image(data: bytes, max_pixels: int) -> Variant:
    """A photo of a document: one JPEG at up to 2400 px, without any metadata."""
    return next(v for v in make_variants(data, {"full": 2400}, max_pixels) if v.fmt == "jpeg")
