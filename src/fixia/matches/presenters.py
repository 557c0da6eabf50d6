from __future__ import annotations

from fixia.matches.models import Job, JobStatusUpdate, ServiceRequest
from fixia.matches.schemas import (
    JobDetail,
    JobOut,
    PartyRef,
    ServiceRequestOut,
    StatusUpdateOut,
)


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        match_id=job.match_id,
        title=job.title,
        client=PartyRef(id=job.client.id, name=job.client.name),
        professional=PartyRef(id=job.professional.id, name=job.professional.name),
        agreed_price=job.agreed_price,
        currency=job.currency,
        delivery_date=job.delivery_date,
        status=job.status,
        progress=job.progress,
        started_at=job.started_at,
        completion_requested_by=job.completion_requested_by,
        completion_requested_at=job.completion_requested_at,
        completed_at=job.completed_at,
        dispute_reason=job.dispute_reason,
        resolution=job.resolution,
        created_at=job.created_at,
    )


def job_detail(job: Job, history: list[JobStatusUpdate]) -> JobDetail:
    return JobDetail(
        **job_out(job).model_dump(), history=[StatusUpdateOut.model_validate(h) for h in history]
    )


def request_out(request: ServiceRequest) -> ServiceRequestOut:
    return ServiceRequestOut(
        id=request.id,
        service_id=request.service_id,
        service_title=request.service.title,
        client=PartyRef(id=request.client.id, name=request.client.name),
        professional_id=request.professional_id,
        message=request.message,
        budget=request.budget,
        deadline=request.deadline,
        status=request.status,
        response_message=request.response_message,
        created_at=request.created_at,
    )
