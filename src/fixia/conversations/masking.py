"""Contact details in messages, masked until the parties' contact reveal.

Before a match's reveal, parties keep the conversation on Fixia (trust, evidence, the
response-time signal): phone numbers in Argentine formats, e-mail addresses (also written
"arroba ... punto com") and WhatsApp/Telegram links are replaced and the sender is told.
Prices, dates and quantities stay: they are what a quote is made of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "[dato de contacto oculto]"

_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|whatsapp\.com|"
    r"t\.me|telegram\.me|telegram\.dog)"
    r"(?:/[^\s]*)?",
    re.IGNORECASE,
)
_AT = r"(?:@|\s*[\[\(]\s*(?:at|arroba)\s*[\]\)]\s*|\s+arroba\s+)"
_DOT = r"(?:\.|\s*[\[\(]\s*(?:dot|punto)\s*[\]\)]\s*|\s+punto\s+)"
_EMAIL = re.compile(
    rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}(?:com|net|org|ar|edu|gob|gov|io|me|info)\b"
    r"(?:\.ar)?",
    re.IGNORECASE,
)
# A run of digits with the separators people type between them: spaces, dashes, dots,
# parentheses, and a leading +. Slashes and colons are left out (dates, times).
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().\-]*\d")
# $1.500.000, 2.500, 1.234,50: amounts, not phones.
_AMOUNT = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
# 12-03-2026: a date.
_DATE = re.compile(r"^\d{1,2}-\d{1,2}-\d{2,4}$")
_SHORT_LOCAL = re.compile(r"^(?:15[\s-]?)?\d{3}[\s-]\d{4}$")


@dataclass(frozen=True)
class Masked:
    text: str
    kinds: tuple[str, ...]


def _is_phone(run: str, before: str) -> bool:
    compact = run.strip()
    digits = sum(c.isdigit() for c in compact)
    if before.endswith("$") or _AMOUNT.match(compact) or _DATE.match(compact):
        return False
    if digits >= 8:
        return digits <= 15
    # 455-1234 or 15-455-1234 written short: a local number in Chubut.
    return digits == 7 and bool(_SHORT_LOCAL.match(compact))


def _mask_phones(text: str) -> tuple[str, bool]:
    found = False
    out: list[str] = []
    position = 0
    for match in _DIGIT_RUN.finditer(text):
        before = text[: match.start()].rstrip()
        if not _is_phone(match.group(), before):
            continue
        out.append(text[position : match.start()])
        out.append(PLACEHOLDER)
        position = match.end()
        found = True
    out.append(text[position:])
    return "".join(out), found


def mask(text: str) -> Masked:
    """`text` with contact details replaced, and which kinds were found."""
    kinds: list[str] = []
    text, links = _LINK.subn(PLACEHOLDER, text)
    if links:
        kinds.append("link")
    text, emails = _EMAIL.subn(PLACEHOLDER, text)
    if emails:
        kinds.append("email")
    text, phones = _mask_phones(text)
    if phones:
        kinds.append("phone")
    return Masked(text, tuple(kinds))
