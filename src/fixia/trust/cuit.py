"""CUIT/CUIL check digit (AFIP's public modulo-11 algorithm)."""

from __future__ import annotations

import re

WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
# People (20, 23, 24, 27) and companies (30, 33, 34).
PREFIXES = frozenset({"20", "23", "24", "27", "30", "33", "34"})


def normalise(text: str) -> str:
    """ "20-12345678-6", "20 12345678 6" and "20123456786" are the same number."""
    return re.sub(r"[\s.-]", "", text)


def check_digit(first_ten: str) -> int | None:
    """The eleventh digit, or None when no digit is valid (a remainder of 10: AFIP then
    issues the number under prefix 23 or 33 instead)."""
    total = sum(int(d) * w for d, w in zip(first_ten, WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def is_valid(text: str) -> bool:
    number = normalise(text)
    if not re.fullmatch(r"\d{11}", number) or number[:2] not in PREFIXES:
        return False
    return check_digit(number[:10]) == int(number[10])
