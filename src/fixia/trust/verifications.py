"""Verification requests: a user asks, an admin decides (audited), approvals expire.

Periods (docs/trust.md): identity and skills 2 years; business, background check, phone
and address 1 year; e-mail 5 years. A new request of a type is accepted when none is
pending and no approval is valid beyond the next RENEW_WINDOW_DAYS (renewal before expiry).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fixia.accounts.models import User
from fixia.audit import service as audit
from fixia.db import utcnow
from fixia.errors import InvalidInput
from fixia.media.models import MediaAsset, MediaKind
from fixia.notifications.service import notify
from fixia.platform.pagination import SortKey, fetch_page, newest_first, paginate, split_page
from fixia.queue.signals import trust_inputs_changed
from fixia.trust import cuit
from fixia.trust import exceptions as exc
from fixia.trust.models import VerificationRequest, VerificationStatus, VerificationType
from fixia.trust.schemas import Decision, VerificationCreate

VALID_FOR = {
    VerificationType.identity: timedelta(days=730),
    VerificationType.skills: timedelta(days=730),
    VerificationType.business: timedelta(days=365),
    VerificationType.background_check: timedelta(days=365),
    VerificationType.phone: timedelta(days=365),
    VerificationType.address: timedelta(days=365),
    VerificationType.email: timedelta(days=1825),
}
RENEW_WINDOW_DAYS = 60
DECIDED = "verification.decided"
LABELS = {
    VerificationType.identity: "identidad",
    VerificationType.skills: "habilidades",
    VerificationType.business: "negocio",
    VerificationType.background_check: "antecedentes",
    VerificationType.phone: "teléfono",
    VerificationType.email: "e-mail",
    VerificationType.address: "domicilio",
}


async def _ensure_open(session: AsyncSession, user: User, kind: VerificationType) -> None:
    horizon = utcnow() + timedelta(days=RENEW_WINDOW_DAYS)
    rows = await session.scalars(
        select(VerificationRequest).where(
            VerificationRequest.user_id == user.id,
            VerificationRequest.type == kind,
            VerificationRequest.status.in_(
                [VerificationStatus.pending, VerificationStatus.approved]
            ),
        )
    )
    for row in rows:
        if row.status is VerificationStatus.pending:
            raise exc.VerificationPending()
        if row.expires_at is None or row.expires_at > horizon:
            raise exc.AlreadyVerified()


async def create(
    *, session: AsyncSession, user: User, data: VerificationCreate
) -> VerificationRequest:
    if data.type is VerificationType.phone:
        raise InvalidInput("type", "phones are verified by a code: POST /verifications/phone")
    if data.type is VerificationType.email and user.email_verified_at is None:
        raise exc.EmailNotVerified()
    await _ensure_open(session, user, data.type)
    await _check_documents(session, user, data.document_ids)
    number = None
    if data.type is VerificationType.business:
        number = cuit.normalise(data.cuit or "")
        if not cuit.is_valid(number):
            raise exc.InvalidCuit("cuit", "the check digit does not match (or a wrong prefix)")
    request = VerificationRequest(
        user_id=user.id,
        type=data.type,
        additional_info=data.additional_info,
        document_ids=[str(d) for d in data.document_ids],
        cuit=number,
    )
    session.add(request)
    if data.type is VerificationType.email:
        _approve(request, reviewer=None, notes="confirmed by the e-mail link")
        await session.flush()
        await trust_inputs_changed(session, user.id)
    await session.flush()
    return request


async def _check_documents(session: AsyncSession, user: User, ids: list[uuid.UUID]) -> None:
    """Only the caller's own private documents (media) may back a request."""
    if not ids:
        return
    found = set(
        await session.scalars(
            select(MediaAsset.id).where(
                MediaAsset.id.in_(ids),
                MediaAsset.owner_id == user.id,
                MediaAsset.kind == MediaKind.document,
            )
        )
    )
    if found != set(ids):
        raise InvalidInput("document_ids", "upload the documents first: POST /me/documents")


async def documents_for(
    session: AsyncSession, requests: list[VerificationRequest]
) -> dict[uuid.UUID, list[MediaAsset]]:
    """Each request's documents, in one query (the admins' queue shows them)."""
    ids = {uuid.UUID(d) for r in requests for d in r.document_ids or []}
    found = {}
    if ids:
        found = {
            a.id: a for a in await session.scalars(select(MediaAsset).where(MediaAsset.id.in_(ids)))
        }
    return {
        r.id: [found[uuid.UUID(d)] for d in r.document_ids or [] if uuid.UUID(d) in found]
        for r in requests
    }


def _approve(request: VerificationRequest, reviewer: User | None, notes: str | None) -> None:
    now = utcnow()
    request.status = VerificationStatus.approved
    request.reviewer_id = reviewer.id if reviewer else None
    request.notes = notes
    request.decided_at = now
    request.expires_at = now + VALID_FOR[request.type]


async def cancel(*, session: AsyncSession, request: VerificationRequest) -> VerificationRequest:
    if request.status is not VerificationStatus.pending:
        raise exc.NotPending()
    request.status = VerificationStatus.cancelled
    await session.flush()
    return request


async def decide(
    *, session: AsyncSession, admin: User, request: VerificationRequest, decision: Decision
) -> VerificationRequest:
    if request.status is not VerificationStatus.pending:
        raise exc.NotPending()
    label = LABELS[request.type]
    if decision.approved:
        _approve(request, admin, decision.notes)
        title, message = "Verificación aprobada", f"Confirmamos tu {label}."
    else:
        request.status = VerificationStatus.rejected
        request.reviewer_id, request.decided_at = admin.id, utcnow()
        request.rejection_reason, request.notes = decision.reason, decision.notes
        title = "Verificación rechazada"
        message = f"No pudimos confirmar tu {label}: {decision.reason}"
    audit.record(
        session=session,
        actor_id=admin.id,
        action=DECIDED,
        target_type="verification",
        target_id=request.id,
        outcome=request.status.value,
        type=request.type.value,
        reason=decision.reason,
    )
    await notify(
        session=session,
        user_id=request.user_id,
        type="verification",
        title=title,
        message=message,
        action_url="/account",
        email=True,
    )
    await session.flush()
    await trust_inputs_changed(session, request.user_id)
    return request


async def expire_due(*, session: AsyncSession) -> int:
    """Approvals past their date become expired; each owner is told and rescored."""
    due = list(
        await session.scalars(
            select(VerificationRequest).where(
                VerificationRequest.status == VerificationStatus.approved,
                VerificationRequest.expires_at <= utcnow(),
            )
        )
    )
    for request in due:
        request.status = VerificationStatus.expired
        await notify(
            session=session,
            user_id=request.user_id,
            type="verification",
            title="Verificación vencida",
            message=f"La verificación de tu {LABELS[request.type]} venció: podés renovarla.",
            action_url="/account",
        )
        await trust_inputs_changed(session, request.user_id)
    await session.flush()
    return len(due)


async def admin_queue(
    *, session: AsyncSession, kind: VerificationType | None, cursor: str | None, limit: int
) -> tuple[list[tuple[VerificationRequest, str]], str | None]:
    """Oldest first: whoever waited longest is decided first. Each with its owner's name."""
    stmt = (
        select(VerificationRequest, User.name)
        .join(User, User.id == VerificationRequest.user_id)
        .where(VerificationRequest.status == VerificationStatus.pending)
    )
    if kind is not None:
        stmt = stmt.where(VerificationRequest.type == kind)
    keys = [SortKey(VerificationRequest.created_at), SortKey(VerificationRequest.id)]
    page_stmt = paginate(cast("Select[Any]", stmt), keys, cursor, limit)
    rows = list((await session.execute(page_stmt)).all())
    page, next_cursor = split_page(rows, limit)
    return [(row[0], row[1]) for row in page], next_cursor


async def mine(
    *, session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[VerificationRequest], str | None]:
    stmt = select(VerificationRequest).where(VerificationRequest.user_id == user.id)
    return await fetch_page(session, stmt, newest_first(VerificationRequest), cursor, limit)


async def stats(*, session: AsyncSession) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(VerificationRequest.type, VerificationRequest.status, func.count()).group_by(
            VerificationRequest.type, VerificationRequest.status
        )
    )
    found: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        found.setdefault(kind.value, {})[status.value] = int(count)
    return found


async def load(session: AsyncSession, request_id: uuid.UUID) -> VerificationRequest:
    request = await session.get(VerificationRequest, request_id)
    if request is None:
        raise exc.VerificationNotFound()
    return request


async def owner_name(session: AsyncSession, request: VerificationRequest) -> str:
    name = await session.scalar(select(User.name).where(User.id == request.user_id))
    return name or ""
