"""Service requests: a client asks for a specific service; the professional answers."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fixia import events
from fixia.accounts.models import User
from fixia.catalog.models import Service
from fixia.db import utcnow
from fixia.errors import InvalidInput
from fixia.matches import exceptions as exc
from fixia.matches import service as matches_service
from fixia.matches.models import Job, Match, ServiceRequest, ServiceRequestStatus
from fixia.matches.schemas import ServiceRequestCreate
from fixia.notifications.service import notify
from fixia.platform.pagination import fetch_page, newest_first


def request_query() -> Select[ServiceRequest]:
    return select(ServiceRequest).options(
        selectinload(ServiceRequest.service), selectinload(ServiceRequest.client)
    )


async def load_request(
    *, session: AsyncSession, request_id: uuid.UUID, lock: bool = False
) -> ServiceRequest | None:
    stmt = request_query().where(ServiceRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update(of=ServiceRequest)
    return (await session.execute(stmt)).scalar_one_or_none()


async def create(
    *, session: AsyncSession, client: User, service: Service, data: ServiceRequestCreate
) -> ServiceRequest:
    if service.professional_id == client.id:
        raise exc.OwnService()
    if data.deadline is not None and data.deadline <= utcnow():
        raise InvalidInput("deadline", "the deadline must be in the future")
    pending = await session.execute(
        select(ServiceRequest.id).where(
            ServiceRequest.client_id == client.id,
            ServiceRequest.service_id == service.id,
            ServiceRequest.status == ServiceRequestStatus.pending,
        )
    )
    if pending.first():
        raise exc.PendingRequestExists()
    request = ServiceRequest(
        service_id=service.id,
        client_id=client.id,
        professional_id=service.professional_id,
        **data.model_dump(),
    )
    session.add(request)
    await session.flush()  # the partial unique index catches a concurrent duplicate
    await notify(
        session=session,
        user_id=service.professional_id,
        type="service_request_received",
        title="Nueva solicitud",
        message=f"{client.name} solicitó «{service.title}».",
        action_url=f"/service-requests/{request.id}",
    )
    loaded = await load_request(session=session, request_id=request.id)
    assert loaded is not None
    return loaded


def _ensure_pending(request: ServiceRequest) -> None:
    if request.status is not ServiceRequestStatus.pending:
        raise exc.RequestNotPending()


async def accept(
    *, session: AsyncSession, request: ServiceRequest, message: str | None
) -> tuple[ServiceRequest, Match, Job]:
    _ensure_pending(request)
    request.status, request.response_message = ServiceRequestStatus.accepted, message
    service = request.service
    days = service.delivery_time_days
    if request.deadline is not None:
        days = max(1, (request.deadline - utcnow()).days)
    price: Decimal = request.budget if request.budget is not None else service.price
    match, job = await matches_service.create_from_request(
        session=session,
        client_id=request.client_id,
        professional_id=request.professional_id,
        title=service.title,
        price=price,
        delivery_days=days,
        request_id=request.id,
    )
    await notify(
        session=session,
        user_id=request.client_id,
        type="service_request_accepted",
        title="Solicitud aceptada",
        action_url=f"/jobs/{job.id}",
        email=True,
        message=f"Tu solicitud de «{service.title}» fue aceptada.",
    )
    events.emit(session, "service_request.accepted", request_id=str(request.id), job_id=str(job.id))
    return request, match, job


async def reject(
    *, session: AsyncSession, request: ServiceRequest, message: str | None
) -> ServiceRequest:
    _ensure_pending(request)
    request.status, request.response_message = ServiceRequestStatus.rejected, message
    await notify(
        session=session,
        user_id=request.client_id,
        type="service_request_rejected",
        title="Solicitud rechazada",
        action_url=f"/service-requests/{request.id}",
        message=f"Tu solicitud de «{request.service.title}» fue rechazada.",
    )
    return request


async def cancel(*, session: AsyncSession, request: ServiceRequest) -> ServiceRequest:
    _ensure_pending(request)
    request.status = ServiceRequestStatus.cancelled
    return request


async def sent_by(
    *, session: AsyncSession, client: User, cursor: str | None, limit: int
) -> tuple[list[ServiceRequest], str | None]:
    stmt = request_query().where(ServiceRequest.client_id == client.id)
    return await fetch_page(session, stmt, newest_first(ServiceRequest), cursor, limit)


async def received_by(
    *, session: AsyncSession, pro: User, cursor: str | None, limit: int
) -> tuple[list[ServiceRequest], str | None]:
    stmt = request_query().where(ServiceRequest.professional_id == pro.id)
    return await fetch_page(session, stmt, newest_first(ServiceRequest), cursor, limit)


def is_party(request: ServiceRequest, user: User) -> bool:
    return user.id in (request.client_id, request.professional_id)
