from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from fixia.accounts.dependencies import CurrentUser
from fixia.accounts.models import Role
from fixia.deps import SessionDep
from fixia.matches import exceptions as exc
from fixia.matches import requests as requests_service
from fixia.matches import service
from fixia.matches.models import Job, Match, ServiceRequest


async def viewable_job(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Job:
    """The job if the caller is a party or an admin; anyone else learns nothing."""
    job = await service.load_job(session=session, job_id=job_id)
    if job is None or (
        user.id not in (job.client_id, job.professional_id) and user.role is not Role.admin
    ):
        raise exc.JobNotFound()
    return job


async def party_job(job_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Job:
    """The job, locked for the rest of the request, if the caller is one of its parties."""
    job = await service.load_job(session=session, job_id=job_id, lock=True)
    if job is None or user.id not in (job.client_id, job.professional_id):
        raise exc.JobNotFound()
    return job


async def party_match(match_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Match:
    match = await session.get(Match, match_id)
    if match is None or user.id not in (match.client_id, match.professional_id):
        raise exc.MatchNotFound()
    return match


async def party_request(
    request_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> ServiceRequest:
    request = await requests_service.load_request(session=session, request_id=request_id, lock=True)
    if request is None or not requests_service.is_party(request, user):
        raise exc.ServiceRequestNotFound()
    return request


ViewableJob = Annotated[Job, Depends(viewable_job)]
PartyJob = Annotated[Job, Depends(party_job)]
PartyMatch = Annotated[Match, Depends(party_match)]
PartyRequest = Annotated[ServiceRequest, Depends(party_request)]
