"""Phone verification by a one-time code: six digits, stored as an HMAC (a plain digest of
six digits is reversed by trying them all), valid `code_ttl_s`, `code_attempts` tries. The
text message leaves after the commit, through the queue (trust.tasks.send_code); the code
travels in the job encrypted, never in clear in the jobs table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fixia.accounts.models import User
from fixia.catalog.invalidation import SESSIONS_KEY
from fixia.config import Settings
from fixia.db import transactional, utcnow
from fixia.platform.security import FieldCipher
from fixia.queue.defer import defer
from fixia.queue.signals import trust_inputs_changed
from fixia.trust import exceptions as exc
from fixia.trust.models import PhoneCode, VerificationRequest, VerificationStatus, VerificationType
from fixia.trust.verifications import VALID_FOR

SEND = "trust.send_code"


def _digest(settings: Settings, user_id: uuid.UUID, code: str) -> str:
    key = settings.encryption_key.get_secret_value().encode()
    return hmac.new(key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def start(*, session: AsyncSession, settings: Settings, user: User) -> None:
    if not user.phone_encrypted:
        raise exc.NoPhone()
    code = f"{secrets.randbelow(1_000_000):06d}"
    # A new code voids the earlier ones: only the last message counts.
    await session.execute(
        update(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    session.add(
        PhoneCode(
            user_id=user.id,
            code_hash=_digest(settings, user.id, code),
            expires_at=utcnow() + timedelta(seconds=settings.sms.code_ttl_s),
        )
    )
    cipher = FieldCipher(settings.encryption_key.get_secret_value())
    body = f"Fixia: tu código es {code}. Vence en {settings.sms.code_ttl_s // 60} minutos."
    await defer(session, SEND, to=user.phone_encrypted, body=cipher.encrypt(body))


async def _count_attempt(session: AsyncSession, settings: Settings, code_id: uuid.UUID) -> bool:
    """One more try, in its own transaction so that the failing request's rollback cannot
    undo it; False once the tries are used up."""
    sessions: async_sessionmaker[AsyncSession] = session.info[SESSIONS_KEY]
    async with transactional(sessions) as own:
        counted = await own.execute(
            update(PhoneCode)
            .where(PhoneCode.id == code_id, PhoneCode.attempts < settings.sms.code_attempts)
            .values(attempts=PhoneCode.attempts + 1)
        )
    return bool(getattr(counted, "rowcount", 0))


async def confirm(
    *, session: AsyncSession, settings: Settings, user: User, code: str
) -> VerificationRequest:
    pending = await session.scalar(
        select(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.used_at.is_(None))
        .order_by(PhoneCode.created_at.desc())
        .limit(1)
    )
    now = utcnow()
    if pending is None or pending.expires_at <= now:
        raise exc.PhoneCodeInvalid()
    if not await _count_attempt(session, settings, pending.id):
        raise exc.PhoneCodeInvalid()
    if not hmac.compare_digest(pending.code_hash, _digest(settings, user.id, code)):
        raise exc.PhoneCodeInvalid()
    pending.used_at = now
    request = VerificationRequest(
        user_id=user.id,
        type=VerificationType.phone,
        status=VerificationStatus.approved,
        notes="confirmed by a code sent by SMS",
        decided_at=now,
        expires_at=now + VALID_FOR[VerificationType.phone],
    )
    session.add(request)
    await session.flush()
    await trust_inputs_changed(session, user.id)
    return request
