"""Contact reveal: after a match, a one-time 24-hour token shows the other party's phone.

The phone appears in no other response; every reveal is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.db import utcnow
from fixia.matches import exceptions as exc
from fixia.matches.models import ContactReveal, Match, MatchStatus
from fixia.notifications.service import notify
from fixia.platform import security


async def issue(
    *, session: AsyncSession, settings: Settings, match: Match, user: User
) -> tuple[str, datetime]:
    if match.status not in (MatchStatus.active, MatchStatus.completed):
        raise exc.RevealNotAllowed()
    target = match.professional_id if user.id == match.client_id else match.client_id
    token = security.new_token()
    expires = utcnow() + timedelta(seconds=settings.marketplace.contact_reveal_ttl_s)
    session.add(
        ContactReveal(
            match_id=match.id,
            requester_id=user.id,
            target_id=target,
            token_hash=security.token_digest(token),
            expires_at=expires,
        )
    )
    return token, expires


async def redeem(
    *,
    session: AsyncSession,
    settings: Settings,
    user: User,
    token: str,
    ip: str | None,
    user_agent: str | None,
) -> tuple[str, str]:
    """Spend the token once: returns the other party's name and phone."""
    now = utcnow()
    row = (
        await session.execute(
            select(ContactReveal).where(ContactReveal.token_hash == security.token_digest(token))
        )
    ).scalar_one_or_none()
    if (
        row is None
        or row.requester_id != user.id
        or row.revealed_at is not None
        or row.expires_at <= now
    ):
        raise exc.InvalidRevealToken()
    spent = await session.execute(
        update(ContactReveal)
        .where(ContactReveal.id == row.id, ContactReveal.revealed_at.is_(None))
        .values(revealed_at=now, ip=ip, user_agent=(user_agent or "")[:255] or None)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise exc.InvalidRevealToken()
    target = await session.get(User, row.target_id)
    if target is None or target.phone_encrypted is None or target.deleted_at is not None:
        raise exc.InvalidRevealToken("The other party has no phone on file.")
    phone = security.FieldCipher(settings.encryption_key.get_secret_value()).decrypt(
        target.phone_encrypted
    )
    audit.record(
        session=session,
        actor_id=user.id,
        action="contact.revealed",
        target_type="user",
        target_id=target.id,
        ip=ip,
        match_id=str(row.match_id),
    )
    await notify(
        session=session,
        user_id=target.id,
        type="phone_revealed",
        title="Compartimos tu teléfono",
        message=f"{user.name} vio tu número de contacto para coordinar el trabajo.",
    )
    events.emit(session, "contact.revealed", match_id=str(row.match_id))
    return target.name, phone


async def revealed_between(*, session: AsyncSession, user_a: uuid.UUID, user_b: uuid.UUID) -> bool:
    """Whether either party of a match between these two people has revealed the other's
    contact: from then on they may share contact details in conversations."""
    stmt = (
        select(ContactReveal.id)
        .join(Match, Match.id == ContactReveal.match_id)
        .where(
            ContactReveal.revealed_at.isnot(None),
            or_(
                and_(Match.client_id == user_a, Match.professional_id == user_b),
                and_(Match.client_id == user_b, Match.professional_id == user_a),
            ),
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None
