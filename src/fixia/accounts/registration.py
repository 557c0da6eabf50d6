"""Sign-up that does not tell who has an account. Never commits.

A registration with an e-mail or DNI that is already taken gets the same answer as a new one
(the same status and body shape, after the same password hashing); the account's owner is
told by e-mail instead, so a stranger cannot probe which e-mails or DNIs are registered.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia import events
from fixia.accounts.models import (
    Availability,
    PasswordHistory,
    ProfessionalLevel,
    ProfessionalProfile,
    Role,
    User,
)
from fixia.accounts.schemas import EXPERIENCE_YEARS, RegisterIn
from fixia.accounts.service import normalize_email, send_verification
from fixia.config import Settings
from fixia.db import utcnow, uuid7
from fixia.errors import InvalidInput
from fixia.platform import security
from fixia.queue.tasks import queue_email


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _new_user(settings: Settings, data: RegisterIn, email: str, password_hash: str) -> User:
    """Every field the answer shows is set here, so an account that is never stored reads
    exactly like one that is."""
    cipher = security.FieldCipher(settings.encryption_key.get_secret_value())
    profile = None
    if data.role == "professional":
        profile = ProfessionalProfile(
            bio=data.description,
            specialties=data.specialties,
            years_experience=EXPERIENCE_YEARS.get(data.experience or "menos-1", 0),
            level=ProfessionalLevel.nuevo,
            rating=Decimal("0.00"),
            review_count=0,
            availability=Availability.available,
            response_time_hours=24,
        )
    return User(
        id=uuid7(),
        email=email,
        password_hash=password_hash,
        name=data.name,
        role=Role(data.role),
        dni=data.dni,
        birthdate=data.birthdate,
        gender=data.gender,
        location=data.location,
        phone_encrypted=cipher.encrypt(data.phone),
        is_professional_active=data.role == "professional",
        timezone="America/Argentina/Catamarca",
        verified=False,
        plan="free",
        created_at=utcnow(),
        profile=profile,
    )


async def _owner_of(session: AsyncSession, *, email: str, dni: str) -> User | None:
    stmt = select(User).where(or_(User.email == email, User.dni == dni)).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _tell_owner(session: AsyncSession, settings: Settings, owner: User) -> None:
    await queue_email(
        session,
        key=f"taken:{uuid7()}",
        to=owner.email,
        subject="Alguien intentó crear una cuenta de Fixia con tus datos",
        body=f"Hola {owner.name}:\n\nAlguien intentó registrarse en Fixia con tu correo o tu "
        "DNI. Si fuiste vos, ya tenés cuenta: ingresá, o elegí una contraseña nueva en "
        f"{settings.public_url}/forgot-password\n\nSi no fuiste vos, no hace falta que hagas "
        "nada.\n",
    )


async def register(*, session: AsyncSession, settings: Settings, data: RegisterIn) -> User:
    """The new account, or, when the e-mail or DNI is taken, a look-alike that is never
    stored (its owner gets an e-mail): the caller answers both the same way."""
    if _age(data.birthdate, utcnow().date()) < settings.min_age_years:
        events.observe("user.registration_failed", reason="InvalidInput")
        raise InvalidInput("birthdate", f"you must be at least {settings.min_age_years}")
    email = normalize_email(data.email)
    # Hashed on both paths: the time taken must not tell a taken e-mail from a new one.
    password_hash = security.hash_password(data.password)
    user = _new_user(settings, data, email, password_hash)
    owner = await _owner_of(session, email=email, dni=data.dni)
    if owner is not None:
        events.observe("user.registration_failed", reason="taken")
        await _tell_owner(session, settings, owner)
        return user
    session.add(user)
    await session.flush()  # the user row first: the history's foreign key points at it
    session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
    await send_verification(session=session, settings=settings, user=user)
    events.emit(session, "user.registered", user_id=str(user.id), role=user.role.value)
    return user
