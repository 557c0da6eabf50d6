"""Turn rows into response schemas; the only place that decides what a caller may see."""

from __future__ import annotations

from fixia.accounts.models import User
from fixia.accounts.schemas import MeOut, ProfileOut, PublicProfessional
from fixia.config import Settings
from fixia.platform.security import FieldCipher, mask_phone


def me_out(user: User, settings: Settings) -> MeOut:
    phone = None
    if user.phone_encrypted:
        phone = FieldCipher(settings.encryption_key.get_secret_value()).decrypt(
            user.phone_encrypted
        )
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        location=user.location,
        phone_masked=mask_phone(phone),
        bio=user.bio,
        avatar_url=user.avatar_url,
        timezone=user.timezone,
        email_verified=user.email_verified_at is not None,
        verified=user.verified,
        plan=user.plan,
        plan_expires_at=user.plan_expires_at,
        is_professional_active=user.is_professional_active,
        created_at=user.created_at,
        profile=ProfileOut.model_validate(user.profile) if user.profile else None,
    )


def public_professional(user: User) -> PublicProfessional:
    assert user.profile is not None
    return PublicProfessional(
        id=user.id,
        name=user.name,
        location=user.location,
        avatar_url=user.avatar_url,
        verified=user.verified,
        member_since=user.created_at,
        profile=ProfileOut.model_validate(user.profile),
    )
