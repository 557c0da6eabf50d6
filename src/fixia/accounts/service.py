"""Accounts: registration, login, tokens, passwords and profiles. Never commits."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fixia import events
from fixia.accounts import exceptions as exc
from fixia.accounts.models import OneTimeToken, PasswordHistory, Role, User
from fixia.accounts.schemas import (
    MeUpdate,
    ProfileUpdate,
    TokenPair,
)
from fixia.accounts.tokens import issue_token_pair, revoke_all_refresh_tokens
from fixia.audit import service as audit
from fixia.config import Settings
from fixia.db import utcnow, uuid7
from fixia.errors import InvalidInput
from fixia.platform import security
from fixia.platform.ratelimit import LoginThrottle
from fixia.queue.tasks import queue_email

VERIFY, RESET = "verify_email", "reset_password"


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def get_by_email(*, session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(User.email == normalize_email(email), User.deleted_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_active(*, session: AsyncSession, user_id: uuid.UUID) -> User:
    # Every signed-in request runs this: one round trip (a LEFT JOIN of the 1:1 profile)
    # instead of a second SELECT for the profile.
    stmt = (
        select(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .options(joinedload(User.profile))
    )
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None:
        raise exc.UserNotFound()
    return user


async def _new_one_time_token(
    *, session: AsyncSession, user: User, purpose: str, ttl_s: int
) -> str:
    # Older links for the same purpose stop working: only the newest one is valid.
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    token = security.new_token()
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=security.token_digest(token),
            expires_at=utcnow() + timedelta(seconds=ttl_s),
        )
    )
    return token


async def _consume_one_time_token(*, session: AsyncSession, token: str, purpose: str) -> User:
    now = utcnow()
    stmt = select(OneTimeToken).where(
        OneTimeToken.token_hash == security.token_digest(token), OneTimeToken.purpose == purpose
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise exc.InvalidOneTimeToken()
    # Conditional update: two concurrent clicks on the same link cannot both succeed.
    result = await session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise exc.InvalidOneTimeToken()
    return await get_active(session=session, user_id=row.user_id)


async def send_verification(*, session: AsyncSession, settings: Settings, user: User) -> None:
    token = await _new_one_time_token(
        session=session, user=user, purpose=VERIFY, ttl_s=settings.auth.verify_email_ttl_s
    )
    link = f"{settings.public_url}/verify-email?token={token}"
    await queue_email(
        session,
        key=f"verify:{uuid7()}",
        to=user.email,
        subject="Confirmá tu correo en Fixia",
        body=f"Hola {user.name}:\n\nConfirmá tu correo con este enlace (vale 24 horas):\n{link}\n",
    )


async def verify_email(*, session: AsyncSession, token: str) -> User:
    user = await _consume_one_time_token(session=session, token=token, purpose=VERIFY)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


async def resend_verification(*, session: AsyncSession, settings: Settings, email: str) -> None:
    user = await get_by_email(session=session, email=email)
    # Same answer whether or not the account exists, so this cannot enumerate users.
    if user is not None and user.email_verified_at is None:
        await send_verification(session=session, settings=settings, user=user)


async def login(
    *,
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    user_agent: str | None,
    throttle: LoginThrottle,
) -> TokenPair:
    now = utcnow()
    user = await get_by_email(session=session, email=email)
    if user is None:
        security.burn_password_check(password)
        events.observe("auth.login", outcome="failed")
        _audit_failure(session, None, email, "unknown_email")
        raise exc.InvalidCredentials(persist=True)
    if await throttle.blocked(user.id):
        # The same answer as a wrong password, and the password is not even checked.
        security.burn_password_check(password)
        events.observe("auth.login", outcome="locked")
        _audit_failure(session, user, email, "throttled")
        raise exc.InvalidCredentials(persist=True)
    if not security.verify_password(user.password_hash, password):
        await _record_failure(session, user, throttle)
        raise exc.InvalidCredentials(persist=True)
    if user.suspended_at is not None:
        _audit_failure(session, user, email, "suspended")
        raise exc.InvalidCredentials(persist=True)
    if settings.auth.require_verified_email and user.email_verified_at is None:
        _audit_failure(session, user, email, "email_not_verified")
        raise exc.EmailNotVerified("Verify your e-mail before logging in.", persist=True)
    await throttle.succeeded(user.id)
    user.last_login_at = now
    events.emit(session, "auth.login", outcome="ok")
    audit.record(
        session=session,
        actor_id=user.id,
        action=audit.LOGIN_SUCCEEDED,
        target_type="account",
        target_id=user.id,
        user_agent=(user_agent or "")[:255],
    )
    return await issue_token_pair(
        session=session, settings=settings, user=user, user_agent=user_agent
    )


def _audit_failure(session: AsyncSession, user: User | None, email: str, reason: str) -> None:
    """Failed logins are security events; the refusal is raised with persist=True so the
    entry survives the request's rollback."""
    audit.record(
        session=session,
        actor_id=user.id if user else None,
        action=audit.LOGIN_FAILED,
        target_type="account",
        target_id=user.id if user else "unknown",
        email=email[:254],
        reason=reason,
    )


async def _record_failure(session: AsyncSession, user: User, throttle: LoginThrottle) -> None:
    _audit_failure(session, user, user.email, "bad_password")
    if await throttle.failed(user.id):
        events.observe("auth.login", outcome="locked")
        audit.record(
            session=session,
            actor_id=user.id,
            action=audit.LOCKOUT,
            target_type="account",
            target_id=user.id,
            scope="this client address",
        )
    else:
        events.observe("auth.login", outcome="failed")


async def forgot_password(*, session: AsyncSession, settings: Settings, email: str) -> None:
    user = await get_by_email(session=session, email=email)
    if user is None:
        return
    token = await _new_one_time_token(
        session=session, user=user, purpose=RESET, ttl_s=settings.auth.reset_password_ttl_s
    )
    link = f"{settings.public_url}/reset-password?token={token}"
    await queue_email(
        session,
        key=f"reset:{uuid7()}",
        to=user.email,
        subject="Restablecé tu contraseña de Fixia",
        body=f"Hola {user.name}:\n\nPara elegir una contraseña nueva entrá a (vale 1 hora):\n"
        f"{link}\n\nSi no lo pediste, ignorá este mensaje.\n",
    )


async def _set_password(
    *, session: AsyncSession, settings: Settings, user: User, new_password: str
) -> None:
    keep = settings.auth.password_history
    stmt = (
        select(PasswordHistory)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
    )
    history = list((await session.execute(stmt)).scalars())
    # The history holds the current password as its newest entry: `keep` entries in all.
    recent = {user.password_hash, *[h.password_hash for h in history[:keep]]}
    if any(security.verify_password(h, new_password) for h in recent):
        raise exc.PasswordReused(f"The new password must differ from the last {keep}.")
    user.password_hash = security.hash_password(new_password)
    user.token_version += 1
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    stale = [h.id for h in history[keep - 1 :]]
    if stale:
        await session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale)))
    await revoke_all_refresh_tokens(session=session, user_id=user.id)


async def reset_password(
    *, session: AsyncSession, settings: Settings, token: str, new_password: str
) -> None:
    user = await _consume_one_time_token(session=session, token=token, purpose=RESET)
    await _set_password(session=session, settings=settings, user=user, new_password=new_password)
    user.failed_login_attempts, user.locked_until = 0, None


async def change_password(
    *, session: AsyncSession, settings: Settings, user: User, current: str, new_password: str
) -> None:
    if not security.verify_password(user.password_hash, current):
        raise exc.WrongPassword()
    await _set_password(session=session, settings=settings, user=user, new_password=new_password)


async def update_me(
    *, session: AsyncSession, settings: Settings, user: User, data: MeUpdate
) -> User:
    changes = data.model_dump(exclude_unset=True)
    if "phone" in changes:
        phone = changes.pop("phone")
        cipher = security.FieldCipher(settings.encryption_key.get_secret_value())
        user.phone_encrypted = cipher.encrypt(phone) if phone else None
    for field, value in changes.items():
        if value is None and field in ("name", "timezone"):
            raise InvalidInput(field, "may not be null")
        setattr(user, field, value)
    await session.flush()
    return user


async def update_profile(*, session: AsyncSession, user: User, data: ProfileUpdate) -> User:
    if user.profile is None:
        raise exc.RoleRequired("Only professionals have a professional profile.")
    for field, value in data.model_dump(exclude_unset=True).items():
        # A null radius is meaningful: back to the default area (settings.search).
        if value is None and field != "service_radius_km":
            raise InvalidInput(field, "may not be null")
        setattr(user.profile, field, value)
    await session.flush()
    return user


async def delete_me(*, session: AsyncSession, user: User) -> None:
    """Soft delete with anonymisation: the row stays for referential history, the person goes."""
    user.deleted_at = utcnow()
    user.email = f"deleted_{user.id.hex}@fixia.invalid"
    user.name = "Usuario eliminado"
    user.dni = user.phone_encrypted = user.bio = user.avatar_url = user.location = None
    user.birthdate = user.gender = None
    user.password_hash = security.hash_password(security.new_token())
    user.token_version += 1
    user.is_professional_active = False
    await revoke_all_refresh_tokens(session=session, user_id=user.id)
    events.emit(session, "user.deleted", user_id=str(user.id))


async def create_admin(*, session: AsyncSession, email: str, name: str, password: str) -> User:
    if await get_by_email(session=session, email=email) is not None:
        raise exc.EmailTaken()
    user = User(
        email=normalize_email(email),
        name=name,
        role=Role.admin,
        password_hash=security.hash_password(password),
        email_verified_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    audit.record(
        session=session,
        actor_id=None,
        actor_name="cli:fixia users create-admin",
        action=audit.ROLE_CHANGED,
        target_type="user",
        target_id=user.id,
        from_role=None,
        to_role=Role.admin.value,
    )
    return user
