"""Remove secrets and personal data from log events, by key and by value.

Keys: anything named like a credential or personal datum is replaced whole. Values: strings
are searched for bearer tokens, JWTs, `key=value` secrets, phone numbers and DNI, because a
message like "login failed for ... with token=..." carries them inside free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
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
_SENSITIVE_NAME = r"passw|secret|token|cookie|authorization|api[_-]?key|phone|dni"
# Each pattern runs only where its cheap guard finds something to look at: the key=value
# pattern backtracks over every identifier, 40 µs on a path with a UUID, and the access log
# scrubs one path per request.
_NAME_GUARD = re.compile(_SENSITIVE_NAME, re.IGNORECASE)
_DIGIT_GUARD = re.compile(r"\d")
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], re.Pattern[str] | None, str], ...] = (
    # Authorization: Bearer <anything>, Basic <anything>
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), None, r"\1 " + REDACTED),
    # JWTs (three base64url parts, the first starting with eyJ = '{"')
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), None, REDACTED),
    # key=value and "key": "value" for sensitive names (query strings, reprs, JSON bodies)
    (
        re.compile(
            r"(?i)([\"']?\b[\w-]*(?:" + _SENSITIVE_NAME + r")[\w-]*[\"']?\s*[=:]\s*)"
            r"([\"']?)[^\s\"'&,;}]+"
        ),
        _NAME_GUARD,
        r"\1\2" + REDACTED,
    ),
    # DNI with dots: 12.345.678
    (re.compile(r"(?<![\w.-])\d{1,2}\.\d{3}\.\d{3}(?![\w-]|\.\d)"), _DIGIT_GUARD, REDACTED),
    # Phone numbers and bare DNI: 7+ digits, optionally +, spaces, dashes, parentheses.
    # Not inside identifiers (UUIDs, hex ids), hence the look-arounds.
    (re.compile(r"(?<![\w.-])\+?\(?\d[\d\s()-]{5,}\d(?![\w-]|\.\d)"), _DIGIT_GUARD, REDACTED),
)


# Log lines repeat the same strings (the event names, the hot paths): remembering the last
# few thousand results halves the access log's cost. Bounded, and in the same process that
# held the unscrubbed text anyway.
@lru_cache(maxsize=4096)
def scrub_text(text: str) -> str:
    for pattern, guard, replacement in _VALUE_PATTERNS:
        if guard is None or guard.search(text):
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
    return isinstance(key, str) and bool(SENSITIVE_KEY.search(key))


def scrub_event(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in SAFE_KEYS and key != "event":
            continue
        if key.startswith("_"):
            continue
        event[key] = REDACTED if _sensitive(key) else _scrub_value(value)
    return event
