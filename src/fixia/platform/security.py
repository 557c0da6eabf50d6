"""Password hashing, access tokens, opaque tokens and encryption of personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fixia.config import AuthSettings

# argon2id. The default is OWASP's recommendation (19 MiB, 2 passes, 1 lane): about 30 ms on
# the 2-core box, where the library's 64 MiB x 4 lanes profile takes 250 ms of both cores per
# login. Settings can raise it; the suite lowers it. Parameters live in each hash, so hashes
# made under other settings keep verifying.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_dummy_hash: str | None = None


def configure_password_hashing(*, time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_password_check(password: str) -> None:
    """Verify against a dummy hash when the user does not exist, so timing reveals nothing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("dummy-password-for-timing-Aa1!")
    verify_password(_dummy_hash, password)


def new_token() -> str:
    """An opaque, URL-safe secret: 256 bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Only digests of opaque tokens are stored, so a database leak reveals no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    token_version: int
    # The login session (the refresh-token family): stable across refreshes, new per login.
    session_id: str = ""


class TokenError(Exception):
    """The token is malformed, forged, expired or signed with an unknown key."""


def issue_access_token(
    auth: AuthSettings,
    *,
    user_id: uuid.UUID,
    role: str,
    token_version: int,
    now: datetime,
    session_id: uuid.UUID | None = None,
) -> str:
    kid = auth.jwt_active_kid
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "tv": token_version,
        "iss": auth.jwt_issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=auth.access_ttl_s)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    secret = auth.jwt_keys[kid].get_secret_value()
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


def decode_access_token(auth: AuthSettings, token: str) -> AccessClaims:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or kid not in auth.jwt_keys:
            raise TokenError("unknown signing key")
        payload = jwt.decode(
            token,
            auth.jwt_keys[kid].get_secret_value(),
            algorithms=["HS256"],  # pinned: rejects alg=none and algorithm confusion
            issuer=auth.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            role=str(payload.get("role", "")),
            token_version=int(payload.get("tv", 0)),
            session_id=str(payload.get("sid", "")),
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise TokenError(str(exc)) from exc


class FieldCipher:
    """AES-256-GCM for personal data at rest. Output: base64(nonce || ciphertext+tag)."""

    def __init__(self, key_material: str) -> None:
        self._aead = AESGCM(hashlib.sha256(key_material.encode()).digest())

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context)
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, blob: str, *, context: bytes = b"") -> str:
        raw = base64.b64decode(blob)
        return self._aead.decrypt(raw[:12], raw[12:], context).decode()


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = [c for c in phone if c.isdigit()]
    return "•" * max(len(digits) - 2, 0) + "".join(digits[-2:])


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
