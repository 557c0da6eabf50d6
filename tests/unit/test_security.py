"""Access tokens, field encryption, phone masking and opaque token digests."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from fixia.config import AuthSettings
from fixia.db import utcnow
from fixia.platform.security import (
    FieldCipher,
    TokenError,
    constant_time_equals,
    decode_access_token,
    hash_password,
    issue_access_token,
    mask_phone,
    new_token,
    token_digest,
    verify_password,
)

USER = uuid.UUID("0190c7a2-1111-7abc-8def-0123456789ab")
KEY_1 = "unit-test-signing-key-number-one-0123456789"
KEY_2 = "unit-test-signing-key-number-two-9876543210"


def auth(keys: dict[str, str] | None = None, active: str = "k1", **kw: object) -> AuthSettings:
    keys = keys or {"k1": KEY_1}
    return AuthSettings(
        jwt_keys={k: SecretStr(v) for k, v in keys.items()}, jwt_active_kid=active, **kw
    )


def token(settings: AuthSettings | None = None, **kw: object) -> str:
    settings = settings or auth()
    args: dict[str, object] = {"user_id": USER, "role": "professional", "token_version": 3}
    args.update(kw)
    return issue_access_token(settings, now=utcnow(), **args)  # type: ignore[arg-type]


def claims_of(raw: str) -> dict[str, object]:
    payload: dict[str, object] = jwt.decode(raw, options={"verify_signature": False})
    return payload


def forge(claims: dict[str, object], key: str = KEY_1, alg: str = "HS256", kid: str = "k1") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def test_issue_and_decode_roundtrip() -> None:
    settings = auth()
    raw = token(settings)
    decoded = decode_access_token(settings, raw)
    assert (decoded.user_id, decoded.role, decoded.token_version) == (USER, "professional", 3)
    assert jwt.get_unverified_header(raw) == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    claims = claims_of(raw)
    assert (claims["sub"], claims["iss"], claims["tv"]) == (str(USER), "fixia", 3)
    assert claims["exp"] == claims["iat"] + settings.access_ttl_s  # type: ignore[operator]
    assert claims_of(token(settings))["jti"] != claims["jti"]


def test_rotation_signs_with_the_active_kid_and_still_verifies_old_tokens() -> None:
    old, rotated = auth(), auth({"k1": KEY_1, "k2": KEY_2}, active="k2")
    old_token, new = token(old), token(rotated)
    assert jwt.get_unverified_header(new)["kid"] == "k2"
    assert decode_access_token(rotated, old_token).user_id == USER
    assert decode_access_token(rotated, new).user_id == USER
    with pytest.raises(TokenError, match="unknown signing key"):
        decode_access_token(old, new)  # k2 is unknown to the old settings


def test_unknown_or_missing_kid_is_rejected() -> None:
    claims = claims_of(token())
    with pytest.raises(TokenError, match="unknown signing key"):
        decode_access_token(auth(), forge(claims, kid="k9"))
    no_kid = jwt.encode(claims, KEY_1, algorithm="HS256")
    with pytest.raises(TokenError, match="unknown signing key"):
        decode_access_token(auth(), no_kid)


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_rejected(alg: str) -> None:
    claims = claims_of(token())
    unsigned = f"{_b64({'alg': alg, 'typ': 'JWT', 'kid': 'k1'})}.{_b64(claims)}."
    for forged in (unsigned, unsigned + "c2lnbmF0dXJl"):
        with pytest.raises(TokenError):
            decode_access_token(auth(), forged)


def test_other_hmac_algorithms_are_rejected_even_with_the_right_key() -> None:
    claims = claims_of(token())
    with pytest.raises(TokenError):
        decode_access_token(auth(), forge(claims, KEY_1 * 2, alg="HS512"))


def test_expired_token_is_rejected() -> None:
    settings = auth()
    past = utcnow() - timedelta(seconds=settings.access_ttl_s + 5)
    raw = issue_access_token(settings, user_id=USER, role="client", token_version=0, now=past)
    with pytest.raises(TokenError, match="expired"):
        decode_access_token(settings, raw)
    nearly = utcnow() - timedelta(seconds=settings.access_ttl_s - 30)
    raw = issue_access_token(settings, user_id=USER, role="client", token_version=0, now=nearly)
    assert decode_access_token(settings, raw).role == "client"


def _swap_payload(raw: str, **changes: object) -> str:
    header, payload, signature = raw.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(claims)}.{signature}"


def test_tampered_tokens_are_rejected() -> None:
    raw = token(role="client")
    header, payload, signature = raw.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for bad in (
        _swap_payload(raw, role="admin"),
        _swap_payload(raw, sub=str(uuid.uuid4())),
        _swap_payload(raw, tv=99),
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.",
        forge(claims_of(raw), key=KEY_2),  # right kid, wrong secret
    ):
        with pytest.raises(TokenError):
            decode_access_token(auth(), bad)


@pytest.mark.parametrize(
    "claims_change",
    [
        {"iss": "someone-else"},
        {"sub": "not-a-uuid"},
        {"sub": None},
        {"exp": None},
        {"iat": None},
        {"iss": None},
    ],
)
def test_bad_claims_are_rejected(claims_change: dict[str, object]) -> None:
    claims = claims_of(token())
    claims.update(claims_change)
    claims = {k: v for k, v in claims.items() if v is not None}
    with pytest.raises(TokenError):
        decode_access_token(auth(), forge(claims))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z", "é.é.é"])
def test_garbage_is_a_token_error(garbage: str) -> None:
    with pytest.raises(TokenError):
        decode_access_token(auth(), garbage)


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
CIPHER = FieldCipher("field-cipher-key-material-for-tests-0123456789")


@pytest.mark.parametrize("plaintext", ["+54 9 280 455-1234", "", "ñandú ✓ 🚀", "x" * 10_000])
def test_cipher_roundtrip(plaintext: str) -> None:
    sealed = CIPHER.encrypt(plaintext)
    assert CIPHER.decrypt(sealed) == plaintext
    assert plaintext.encode() not in base64.b64decode(sealed) or plaintext == ""
    assert len(base64.b64decode(sealed)) == 12 + len(plaintext.encode()) + 16  # nonce and tag


def test_cipher_uses_a_fresh_nonce_each_time() -> None:
    blobs = {CIPHER.encrypt("+54 9 280 455-1234") for _ in range(20)}
    assert len(blobs) == 20
    assert len({base64.b64decode(b)[:12] for b in blobs}) == 20


def test_cipher_detects_tampering_wrong_key_and_wrong_context() -> None:
    sealed = CIPHER.encrypt("+54 9 280 455-1234", context=b"user:1")
    assert CIPHER.decrypt(sealed, context=b"user:1") == "+54 9 280 455-1234"
    raw = bytearray(base64.b64decode(sealed))
    for index in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        tampered = raw.copy()
        tampered[index] ^= 0x01
        with pytest.raises(InvalidTag):
            CIPHER.decrypt(base64.b64encode(tampered).decode(), context=b"user:1")
    with pytest.raises(InvalidTag):
        CIPHER.decrypt(sealed, context=b"user:2")  # a blob cannot be moved to another row
    with pytest.raises(InvalidTag):
        FieldCipher("another-key-material-entirely-0123456789").decrypt(sealed, context=b"user:1")
    with pytest.raises(InvalidTag):
        CIPHER.decrypt(base64.b64encode(raw[:-1]).decode(), context=b"user:1")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+54 9 280 455-1234", "•" * 11 + "34"),
        ("2804551234", "•" * 8 + "34"),
        ("(0280) 15-455-1299", "•" * 11 + "99"),
        ("12", "12"),
        ("7", "7"),
        ("", None),
        (None, None),
    ],
)
def test_mask_phone_keeps_only_the_last_two_digits(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


def test_token_digest_is_sha256_hex() -> None:
    opaque = new_token()
    digest = token_digest(opaque)
    assert digest == hashlib.sha256(opaque.encode()).hexdigest()
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert token_digest(opaque) == digest and token_digest(opaque + "x") != digest
    assert opaque not in digest


def test_new_tokens_are_url_safe_and_unique() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 43 and set(t) <= set(ALPHABET) for t in tokens)


def test_password_hashing_and_constant_time_compare() -> None:
    hashed = hash_password("Patagonia-Viento-82!")
    assert hashed.startswith("$argon2id$") and "Patagonia" not in hashed
    assert verify_password(hashed, "Patagonia-Viento-82!")
    assert not verify_password(hashed, "Patagonia-Viento-83!")
    assert not verify_password("not-a-hash", "Patagonia-Viento-82!")
    assert constant_time_equals("abc", "abc") and not constant_time_equals("abc", "abd")
