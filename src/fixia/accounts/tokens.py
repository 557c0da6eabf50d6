"""Refresh-token rotation with reuse detection (one family per login)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts import exceptions as exc
from fixia.accounts.models import RefreshToken, User
from fixia.accounts.schemas import TokenPair
from fixia.config import Settings
from fixia.db import utcnow, uuid7
from fixia.platform import security


async def issue_token_pair(
    *,
    session: AsyncSession,
    settings: Settings,
    user: User,
    user_agent: str | None,
    family_id: uuid.UUID | None = None,
    session_expires_at: datetime | None = None,
) -> TokenPair:
    """A new log-in (no family) starts a session of `session_max_s`; a rotation continues
    its family's session and never outlives it."""
    now = utcnow()
    refresh = security.new_token()
    ends = session_expires_at or now + timedelta(seconds=settings.auth.session_max_s)
    family_id = family_id or uuid7()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=security.token_digest(refresh),
            expires_at=min(now + timedelta(seconds=settings.auth.refresh_ttl_s), ends),
            session_expires_at=ends,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    access = security.issue_access_token(
        settings.auth,
        user_id=user.id,
        role=user.role.value,
        token_version=user.token_version,
        now=now,
        # Web forms bind their CSRF token to it (fixia.web.csrf).
        session_id=family_id,
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.auth.access_ttl_s
    )


async def _revoke_family(*, session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_all_refresh_tokens(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def rotate(
    *, session: AsyncSession, settings: Settings, token: str, user_agent: str | None
) -> TokenPair:
    now = utcnow()
    stmt = select(RefreshToken).where(RefreshToken.token_hash == security.token_digest(token))
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise exc.InvalidToken()
    grace = timedelta(seconds=settings.auth.refresh_reuse_grace_s)
    if row.revoked_at is not None or (row.used_at is not None and now - row.used_at > grace):
        # A token that was already exchanged came back: someone holds a stolen copy. Kill the
        # whole family so neither the thief nor the victim can continue with it.
        await _revoke_family(session=session, family_id=row.family_id)
        raise exc.RefreshTokenReused(persist=True)
    ends = row.session_expires_at or row.created_at + timedelta(seconds=settings.auth.session_max_s)
    if row.expires_at <= now or ends <= now:
        raise exc.InvalidToken("The session has expired; log in again.")
    # Claimed once; a second claim inside the grace window (concurrent page loads) gets a
    # sibling pair in the same family.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active or (user.locked_until and user.locked_until > now):
        raise exc.InvalidToken("The account is not active.")
    return await issue_token_pair(
        session=session,
        settings=settings,
        user=user,
        user_agent=user_agent,
        family_id=row.family_id,
        session_expires_at=ends,
    )


async def logout(
    *, session: AsyncSession, user: User, refresh_token: str | None, everywhere: bool
) -> None:
    # Bumping the version kills every outstanding access token at once; other devices keep
    # their refresh tokens and silently obtain a new access token.
    user.token_version += 1
    if everywhere:
        await revoke_all_refresh_tokens(session=session, user_id=user.id)
        return
    if refresh_token:
        stmt = select(RefreshToken).where(
            RefreshToken.token_hash == security.token_digest(refresh_token),
            RefreshToken.user_id == user.id,
        )
        row = (await session.execute(stmt)).scalar_one_or_none()
        if row is not None:
            await _revoke_family(session=session, family_id=row.family_id)
