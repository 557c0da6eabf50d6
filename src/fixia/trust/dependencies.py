from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from fixia.accounts.dependencies import CurrentUser
from fixia.deps import SessionDep
from fixia.trust import exceptions as exc
from fixia.trust import verifications
from fixia.trust.models import VerificationRequest


async def own_verification(
    verification_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> VerificationRequest:
    """The caller's own request; anyone else's is reported as missing (no existence leak)."""
    request = await verifications.load(session, verification_id)
    if request.user_id != user.id:
        raise exc.VerificationNotFound()
    return request


async def any_verification(verification_id: uuid.UUID, session: SessionDep) -> VerificationRequest:
    return await verifications.load(session, verification_id)


OwnVerification = Annotated[VerificationRequest, Depends(own_verification)]
AnyVerification = Annotated[VerificationRequest, Depends(any_verification)]
