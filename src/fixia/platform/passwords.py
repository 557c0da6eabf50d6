"""The password policy from the Fixia spec, as one pure function."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from itertools import pairwise

MIN_LENGTH, MAX_LENGTH = 12, 128
SPECIALS = set("!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~")
SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
RUN = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("fixia.platform").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _has_sequence(lowered: str) -> bool:
    for seq in SEQUENCES:
        for candidate in (seq, seq[::-1]):
            for i in range(len(candidate) - RUN + 1):
                if candidate[i : i + RUN] in lowered:
                    return True
    return False


def _has_repeat(password: str) -> bool:
    streak = 1
    for prev, cur in pairwise(password):
        streak = streak + 1 if cur == prev else 1
        if streak >= RUN:
            return True
    return False


def password_problems(password: str) -> list[str]:
    """Every rule the password breaks, in Spanish-neutral English messages; empty means valid."""
    problems: list[str] = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if not any(c.isupper() for c in password):
        problems.append("must contain an upper-case letter")
    if not any(c.islower() for c in password):
        problems.append("must contain a lower-case letter")
    if not any(c.isdigit() for c in password):
        problems.append("must contain a digit")
    if not any(c in SPECIALS for c in password):
        problems.append("must contain a special character")
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append("is too common")
    if _has_sequence(lowered):
        problems.append(f"must not contain a run of {RUN} sequential characters")
    if _has_repeat(password):
        problems.append(f"must not repeat a character {RUN} or more times in a row")
    return problems
