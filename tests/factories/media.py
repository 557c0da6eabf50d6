"""Media factories: real files made with Pillow, and hostile ones made by hand."""

from __future__ import annotations

import io
import struct
import time
import uuid
import zlib
from typing import Any

import httpx
from PIL import Image

from tests.factories.accounts import Account

API = "/api/v1"
GPS_IFD = 0x8825


def jpeg(width: int = 1200, height: int = 900, *, gps: bool = False, color: str = "teal") -> bytes:
    """A photo; with `gps`, EXIF carrying a position (Trelew) and a camera make."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "FixiaCam"  # Make
        exif[GPS_IFD] = {1: "S", 2: (43.0, 15.0, 0.0), 3: "W", 4: (65.0, 18.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes() if gps else b"")
    return out.getvalue()


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bomb(side: int = 100_000) -> bytes:
    """A few hundred bytes claiming side x side pixels: 10 gigapixels once decoded."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\0" * 1024 * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def pdf(pages: int = 1, extra: str = "") -> bytes:
    """A minimal valid PDF (pypdf writes it)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def polyglot() -> bytes:
    """A valid JPEG that is also a page: markup in its comment segment."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, "JPEG", comment=b"<script>alert(1)</script>")
    return out.getvalue()


def disguised() -> list[tuple[str, bytes]]:
    """Files named .jpg that are something else, or a page too: all refused (415)."""
    return [
        ("factura.jpg", pdf()),
        ("pagina.jpg", HTML),
        ("logo.jpg", SVG),
        ("poliglota.jpg", polyglot()),
    ]


async def upload(
    client: httpx.AsyncClient, account: Account, path: str, data: bytes,
    name: str = "foto.jpg", alt: str = "Baño terminado con cerámicos", **fields: Any,
) -> httpx.Response:  # fmt: skip
    form = {"alt": alt, **fields} if alt else dict(fields)
    return await client.post(
        API + path,
        files={"file": (name, data, "image/jpeg")},
        data=form,
        headers=account.headers,
    )


async def upload_document(
    client: httpx.AsyncClient, account: Account, label: str = "dni_front"
) -> httpx.Response:
    """A one-page PDF as a private verification document."""
    return await client.post(
        API + "/me/documents",
        files={"file": ("dni.pdf", pdf(), "application/pdf")},
        data={"label": label},
        headers=account.headers,
    )


def forged_document_urls(url: str, doc_id: object) -> list[str]:
    """A document's signed URL without, with a forged, or with a stretched signature, and
    its query on another asset: each must be 404."""
    return [
        f"/media/d/{doc_id}",
        f"/media/d/{doc_id}?exp={int(time.time()) + 5}&sig={'0' * 64}",
        url.replace("exp=", "exp=9"),
        f"/media/d/{uuid.uuid4()}?{url.split('?', 1)[1]}",
    ]
