from __future__ import annotations

from fixia.accounts.models import User
from fixia.admin.schemas import AdminUserOut
from fixia.admin.service import account_status


def admin_user_out(user: User) -> AdminUserOut:
    """What the back office sees of an account: state and standing, never secrets."""
    return AdminUserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        status=account_status(user),
        email_verified=user.email_verified_at is not None,
        is_professional_active=user.is_professional_active,
        has_professional_profile=user.profile is not None,
        plan=user.plan,
        client_rating=user.client_rating,
        client_review_count=user.client_review_count,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        suspended_at=user.suspended_at,
        deleted_at=user.deleted_at,
    )
