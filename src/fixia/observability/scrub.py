"""Remove secrets and personal data from log events, by key and by value.

Keys: anything named like a credential or personal datum is replaced whole. Values: strings
are searched for bearer tokens, JWTs, `key=value` secrets, phone numbers and DNI, because a
message like "login failed for ... with token=..." carries them inside free text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from functools import lru_cache
from typing import Any

REDACTED = "[redacted]"

SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw|secret|token|api[_-]?key|credential|signature|"
    r"phone|telefono|dni|document",
    re.IGNORECASE,
)
# Fields our own code fills: never personal data, and must stay intact (ids, timings).
SAFE_KEYS = frozenset(
    {"time", "level", "logger", "event", "request_id", "trace_id", "span_id", "route", "method"}
    | {"status", "duration_ms", "user_id", "slot"}
)
# The names a secret's key contains; `api[_-]?key` spelled out, so plain substring tests can
# stand in for the case-insensitive regex on ASCII text.
_SENSITIVE_NAMES = (
    "passw", "secret", "token", "cookie", "authorization", "api_key", "api-key", "apikey",
    "phone", "dni",
)  # fmt: skip
_SENSITIVE_NAME = "|".join(map(re.escape, _SENSITIVE_NAMES))
_NAME_GUARD = re.compile(_SENSITIVE_NAME, re.IGNORECASE)
_DIGIT_GUARD = re.compile(r"\d")
# A phone number or DNI needs a run of 7+ digits and separators (\s, parentheses, dots, +, -).
# In ASCII text each such byte becomes "0" and any other "x": the run is a substring.
_NUMBER_BYTES = bytes(
    0x30 if chr(i).isdigit() or chr(i).isspace() or chr(i) in "().+-" else 0x78 for i in range(256)
)


# Non-ASCII text keeps the regex guards: there IGNORECASE and \d match more than lower() and
# ASCII digits would.
def _any_name(text: str) -> bool:
    if not text.isascii():
        return _NAME_GUARD.search(text) is not None
    lowered = text.lower()
    for name in _SENSITIVE_NAMES:  # noqa: SIM110 - a third cheaper than any() on a generator
        if name in lowered:
            return True
    return False


def _may_hold_number(text: str) -> bool:
    if not text.isascii():
        return _DIGIT_GUARD.search(text) is not None
    return b"0000000" in text.encode().translate(_NUMBER_BYTES)


def _may_hold_credentials(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    return "bearer" in lowered or "basic" in lowered


def _may_hold_jwt(text: str) -> bool:
    return "eyJ" in text


# Each pattern runs only where its guard finds something to look at. The patterns scan every
# position (the key=value one backtracks over every identifier); the guards are substring
# tests and a byte translation. A path with a UUID, which the access log scrubs on most
# requests, costs a third of what it did with case-insensitive regex guards
# (docs/observability.md, Logs).
_Guard = Callable[[str], bool]
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], _Guard, str], ...] = (
    # Authorization: Bearer <anything>, Basic <anything>
    (
        re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
        _may_hold_credentials,
        r"\1 " + REDACTED,
    ),
    # JWTs (three base64url parts, the first starting with eyJ = '{"')
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), _may_hold_jwt, REDACTED),
    # key=value and "key": "value" for sensitive names (query strings, reprs, JSON bodies)
    (
        re.compile(
            r"(?i)([\"']?\b[\w-]*(?:" + _SENSITIVE_NAME + r")[\w-]*[\"']?\s*[=:]\s*)"
            r"([\"']?)[^\s\"'&,;}]+"
        ),
        _any_name,
        r"\1\2" + REDACTED,
    ),
    # SQLAlchemy's dump of a statement's bound values, should an engine without
    # hide_parameters (a script, a tool) raise into our logs: e-mails, hashes, phones.
    (
        re.compile(r"\[parameters: .*?\](?=\s*(?:\(Background|\n|$))", re.DOTALL),
        lambda text: "[parameters:" in text,
        "[parameters: " + REDACTED + "]",
    ),
    # PostgreSQL's DETAIL on a unique or foreign-key violation repeats the key's values.
    (
        re.compile(r"(Key \([^)]*\))=\((?:[^()]|\([^()]*\))*\)"),
        lambda text: "Key (" in text,
        r"\1=(" + REDACTED + ")",
    ),
    # DNI with dots: 12.345.678
    (re.compile(r"(?<![\w.-])\d{1,2}\.\d{3}\.\d{3}(?![\w-]|\.\d)"), _may_hold_number, REDACTED),
    # Phone numbers and bare DNI: 7+ digits, optionally +, spaces, dashes, parentheses.
    # Not inside identifiers (UUIDs, hex ids), hence the look-arounds.
    (
        re.compile(r"(?<![\w.-])\+?\(?\d[\d\s()-]{5,}\d(?![\w-]|\.\d)"),
        _may_hold_number,
        REDACTED,
    ),
)


# Log lines repeat the same strings (the event names, the hot paths): remembering the last
# few thousand results halves the access log's cost. Bounded, and in the same process that
# held the unscrubbed text anyway.
@lru_cache(maxsize=4096)
def scrub_text(text: str) -> str:
    for pattern, guard, replacement in _VALUE_PATTERNS:
        if guard(text):
            text = pattern.sub(replacement, text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: (REDACTED if _sensitive(k) else _scrub_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_scrub_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub_text(str(value))


def _sensitive(key: Any) -> bool:
    return isinstance(key, str) and _sensitive_name(key)


# Events repeat a few dozen keys; the regex ran twice on every access line.
@lru_cache(maxsize=1024)
def _sensitive_name(key: str) -> bool:
    return SENSITIVE_KEY.search(key) is not None


def scrub_event(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in SAFE_KEYS and key != "event":
            continue
        if key.startswith("_"):
            continue
        event[key] = REDACTED if _sensitive(key) else _scrub_value(value)
    return event
