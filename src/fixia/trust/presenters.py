from __future__ import annotations

from fixia.config import Settings
from fixia.media.models import MediaAsset
from fixia.media.presenters import document_out
from fixia.trust.models import VerificationRequest
from fixia.trust.schemas import AdminVerificationOut, VerificationOut


def verification_out(request: VerificationRequest) -> VerificationOut:
    return VerificationOut(
        id=request.id,
        type=request.type,
        status=request.status,
        additional_info=request.additional_info,
        document_ids=list(request.document_ids or []),
        rejection_reason=request.rejection_reason,
        created_at=request.created_at,
        decided_at=request.decided_at,
        expires_at=request.expires_at,
    )


def admin_verification_out(
    request: VerificationRequest,
    user_name: str,
    settings: Settings | None = None,
    documents: list[MediaAsset] | None = None,
) -> AdminVerificationOut:
    return AdminVerificationOut(
        **verification_out(request).model_dump(),
        user_id=request.user_id,
        user_name=user_name,
        cuit=request.cuit,
        notes=request.notes,
        documents=[document_out(settings, d) for d in documents or []] if settings else [],
    )
