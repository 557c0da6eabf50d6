"""MercadoPago's webhook signature scheme, which the sandbox reuses so both paths are tested.

Header `x-signature: ts=<unix>,v1=<hex>`; v1 = HMAC-SHA256(secret, manifest) with the manifest
`id:<data.id>;request-id:<x-request-id>;ts:<ts>;`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from fixia.payments.exceptions import InvalidWebhookSignature
from fixia.payments.providers.base import WebhookNotice
from fixia.payments.providers.recurring import CHARGE_TOPIC


def _manifest_id(data_id: str) -> str:
    # MercadoPago lower-cases alphanumeric ids before signing.
    return data_id.lower() if data_id.isalnum() else data_id


def manifest(*, data_id: str, request_id: str, ts: str) -> str:
    return f"id:{_manifest_id(data_id)};request-id:{request_id};ts:{ts};"


def sign(secret: str, *, data_id: str, request_id: str, ts: str) -> str:
    """The value of the x-signature header."""
    text = manifest(data_id=data_id, request_id=request_id, ts=ts)
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"ts={ts},v1={digest}"


def verify(secret: str, header: str | None, *, data_id: str, request_id: str) -> bool:
    if not header:
        return False
    parts: dict[str, str] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        parts[key] = value
    ts, given = parts.get("ts"), parts.get("v1")
    if not ts or not given:
        return False
    expected = sign(secret, data_id=data_id, request_id=request_id, ts=ts).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def signed_at(header: str | None) -> float | None:
    """The signature's `ts` in epoch seconds (MercadoPago has sent both s and ms)."""
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "ts" and value.isdigit():
            ts = int(value)
            return ts / 1000 if ts > 100_000_000_000 else float(ts)
    return None


def fresh(header: str | None, *, now: float, tolerance_s: int) -> bool:
    """Inside the replay window. An old signed notification replayed later is refused; a
    replay inside the window is harmless (deliveries are idempotent by event id)."""
    if tolerance_s <= 0:
        return True
    ts = signed_at(header)
    return ts is not None and abs(now - ts) <= tolerance_s


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as error:
        raise InvalidWebhookSignature("The webhook body is not JSON.") from error
    if not isinstance(data, dict):
        raise InvalidWebhookSignature("The webhook body is not a JSON object.")
    return data


def parse_notification(
    secret: str,
    *,
    provider: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    tolerance_s: int = 300,
) -> WebhookNotice | None:
    """Verify and read a MercadoPago-style notification (query `data.id`, `type`)."""
    payload = _decode(body)
    data = payload.get("data")
    body_id = str(data["id"]) if isinstance(data, dict) and "id" in data else None
    data_id = query.get("data.id") or body_id
    # The signed id (from the URL) must be the one we act on: no mixing of two ids.
    if not data_id or (body_id is not None and body_id != data_id):
        raise InvalidWebhookSignature("The notification names no single payment.")
    request_id = headers.get("x-request-id", "")
    if not verify(secret, headers.get("x-signature"), data_id=data_id, request_id=request_id):
        raise InvalidWebhookSignature()
    if not fresh(headers.get("x-signature"), now=time.time(), tolerance_s=tolerance_s):
        raise InvalidWebhookSignature("The notification's signature is outside the replay window.")
    topic = str(query.get("type") or query.get("topic") or payload.get("type") or "")
    if topic not in ("payment", CHARGE_TOPIC):
        return None
    # De-duplicate on what the signature covers (payment id, request id, timestamp): the body's
    # own `id` is unsigned, so a replayed signature with a chosen `id` could otherwise mark a
    # later real notification as already seen. A retry with a new request id is processed
    # again, harmlessly: the status applied always comes from the provider's API.
    ts = next((p.split("=", 1)[1] for p in headers.get("x-signature", "").split(",")
               if p.strip().startswith("ts=")), "")  # fmt: skip
    signed = manifest(data_id=data_id, request_id=request_id, ts=ts.strip())
    event_id = "sig:" + hashlib.sha256(signed.encode()).hexdigest()
    return WebhookNotice(
        provider=provider, event_id=event_id, topic=topic, payment_id=data_id, payload=payload
    )
