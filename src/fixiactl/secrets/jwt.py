"""JWT signing-key rotation: a keyring of kid -> secret, one active signer, and retirement.

Rotation adds a new key and makes it sign; the previous signer keeps verifying until every
token it signed has expired (access TTL + clock leeway), then a later rotation or prune drops
it. The app reads the ring as FIXIA_AUTH__JWT_KEYS / FIXIA_AUTH__JWT_ACTIVE_KID.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

# Tokens verify for their TTL; a retiring key lives that long plus this margin for skew.
LEEWAY_S = 60


@dataclass
class KeyRing:
    keys: dict[str, str]
    active: str
    # kid -> epoch seconds after which the key no longer needs to verify anything.
    retire_at: dict[str, float] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        import json

        return {
            "FIXIA_AUTH__JWT_KEYS": json.dumps(self.keys, sort_keys=True),
            "FIXIA_AUTH__JWT_ACTIVE_KID": self.active,
        }


def new_kid(now: datetime, taken: set[str]) -> str:
    """Sortable and readable: k20261125T163600 (plus a suffix if rotated twice a second)."""
    base = "k" + now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    kid, n = base, 1
    while kid in taken:
        n += 1
        kid = f"{base}-{n}"
    return kid


def prune(ring: KeyRing, now: datetime) -> list[str]:
    """Drop retired keys whose tokens have all expired. Returns the dropped kids."""
    stamp = now.timestamp()
    dropped = [k for k, t in ring.retire_at.items() if t <= stamp and k != ring.active]
    for kid in dropped:
        ring.keys.pop(kid, None)
        ring.retire_at.pop(kid, None)
    return dropped


def rotate(ring: KeyRing, *, now: datetime, access_ttl_s: int) -> tuple[str, list[str]]:
    """Make a new key sign. Returns (new kid, kids dropped by the prune)."""
    dropped = prune(ring, now)
    kid = new_kid(now, set(ring.keys))
    ring.retire_at[ring.active] = now.timestamp() + access_ttl_s + LEEWAY_S
    ring.keys[kid] = secrets.token_urlsafe(48)
    ring.active = kid
    return kid, dropped
