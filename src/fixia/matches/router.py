from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from fixia.accounts.dependencies import ClientUser, CurrentUser, ProfessionalUser
from fixia.catalog.dependencies import VisibleService
from fixia.deps import SessionDep, SettingsDep
from fixia.matches import hiring, reveal, service
from fixia.matches import requests as requests_service
from fixia.matches.dependencies import PartyJob, PartyMatch, PartyRequest, ViewableJob
from fixia.matches.exceptions import NotAllowedParty, ServiceRequestNotFound
from fixia.matches.presenters import job_detail, job_out, request_out
from fixia.matches.schemas import (
    AnswerIn,
    ContactOut,
    DeclineIn,
    JobDetail,
    JobOut,
    MatchOut,
    ProgressIn,
    ReasonIn,
    RevealIn,
    RevealTokenOut,
    ServiceRequestCreate,
    ServiceRequestOut,
)
from fixia.platform import flags
from fixia.platform.pagination import CursorParam, LimitParam, Page
from fixia.projects.dependencies import ReceivedProposal
from fixia.projects.presenters import proposal_out
from fixia.projects.schemas import AcceptOut, ProposalOut

router = APIRouter(tags=["jobs"])


@router.post("/services/{service_id}/requests", status_code=status.HTTP_201_CREATED)
async def request_service(
    found: VisibleService,
    data: ServiceRequestCreate,
    user: ClientUser,
    session: SessionDep,
) -> ServiceRequestOut:
    created = await requests_service.create(session=session, client=user, service=found, data=data)
    if flags.enabled("instant-booking", default=False, key=str(user.id), email=user.email):
        # Instant booking: the request is accepted on the professional's behalf at once.
        created, _, _ = await requests_service.accept(
            session=session, request=created, message=None
        )
    return request_out(created)


@router.get("/service-requests/sent")
async def sent_requests(
    user: CurrentUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ServiceRequestOut]:
    items, next_cursor = await requests_service.sent_by(
        session=session, client=user, cursor=cursor, limit=limit
    )
    return Page(items=[request_out(r) for r in items], next_cursor=next_cursor, limit=limit)


@router.get("/service-requests/received")
async def received_requests(
    user: ProfessionalUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[ServiceRequestOut]:
    items, next_cursor = await requests_service.received_by(
        session=session, pro=user, cursor=cursor, limit=limit
    )
    return Page(items=[request_out(r) for r in items], next_cursor=next_cursor, limit=limit)


@router.get("/service-requests/{request_id}")
async def get_request(request: PartyRequest) -> ServiceRequestOut:
    return request_out(request)


def _professional_of(request: PartyRequest, user: CurrentUser) -> None:
    if user.id != request.professional_id:
        raise NotAllowedParty("Only the professional answers a service request.")


@router.post("/service-requests/{request_id}/accept")
async def accept_request(
    request: PartyRequest,
    user: CurrentUser,
    session: SessionDep,
    data: AnswerIn | None = None,
) -> JobOut:
    _professional_of(request, user)
    _, _, job = await requests_service.accept(
        session=session, request=request, message=data.message if data else None
    )
    loaded = await service.load_job(session=session, job_id=job.id)
    assert loaded is not None
    return job_out(loaded)


@router.post("/service-requests/{request_id}/reject")
async def reject_request(
    request: PartyRequest, user: CurrentUser, session: SessionDep, data: AnswerIn | None = None
) -> ServiceRequestOut:
    _professional_of(request, user)
    return request_out(
        await requests_service.reject(
            session=session, request=request, message=data.message if data else None
        )
    )


@router.delete("/service-requests/{request_id}")
async def cancel_request(
    request: PartyRequest, user: CurrentUser, session: SessionDep
) -> ServiceRequestOut:
    if user.id != request.client_id:
        raise ServiceRequestNotFound()
    return request_out(await requests_service.cancel(session=session, request=request))


@router.get("/jobs/mine")
async def my_jobs(
    user: CurrentUser, session: SessionDep, cursor: CursorParam = None, limit: LimitParam = 20
) -> Page[JobOut]:
    items, next_cursor = await service.jobs_of(
        session=session, user=user, cursor=cursor, limit=limit
    )
    return Page(items=[job_out(j) for j in items], next_cursor=next_cursor, limit=limit)


@router.get("/jobs/{job_id}")
async def get_job(job: ViewableJob, session: SessionDep) -> JobDetail:
    return job_detail(job, await service.history(session=session, job=job))


async def _detail(session: SessionDep, job: PartyJob) -> JobDetail:
    await session.flush()
    return job_detail(job, await service.history(session=session, job=job))


@router.post("/jobs/{job_id}/start")
async def start_job(job: PartyJob, user: CurrentUser, session: SessionDep) -> JobDetail:
    await service.start(session=session, job=job, actor=user)
    return await _detail(session, job)


@router.post("/jobs/{job_id}/progress")
async def report_progress(
    data: ProgressIn, job: PartyJob, user: CurrentUser, session: SessionDep
) -> JobDetail:
    await service.report_progress(
        session=session, job=job, actor=user, progress=data.progress, message=data.message
    )
    return await _detail(session, job)


@router.post("/jobs/{job_id}/completion/request")
async def request_completion(job: PartyJob, user: CurrentUser, session: SessionDep) -> JobDetail:
    await service.request_completion(session=session, job=job, actor=user)
    return await _detail(session, job)


@router.post("/jobs/{job_id}/completion/confirm")
async def confirm_completion(job: PartyJob, user: CurrentUser, session: SessionDep) -> JobDetail:
    await service.confirm_completion(session=session, job=job, actor=user)
    return await _detail(session, job)


@router.post("/jobs/{job_id}/completion/decline")
async def decline_completion(
    job: PartyJob, user: CurrentUser, session: SessionDep, data: DeclineIn | None = None
) -> JobDetail:
    await service.decline_completion(
        session=session, job=job, actor=user, message=data.message if data else None
    )
    return await _detail(session, job)


@router.post("/jobs/{job_id}/dispute")
async def dispute_job(
    data: ReasonIn, job: PartyJob, user: CurrentUser, session: SessionDep
) -> JobDetail:
    await service.dispute(session=session, job=job, actor=user, reason=data.reason)
    return await _detail(session, job)


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(
    data: ReasonIn, job: PartyJob, user: CurrentUser, session: SessionDep
) -> JobDetail:
    await service.cancel(session=session, job=job, actor=user, reason=data.reason)
    return await _detail(session, job)


@router.get("/matches/{match_id}")
async def get_match(match: PartyMatch) -> MatchOut:
    return MatchOut.model_validate(match)


@router.post("/matches/{match_id}/contact-reveal", status_code=status.HTTP_201_CREATED)
async def issue_reveal(
    match: PartyMatch, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> RevealTokenOut:
    token, expires = await reveal.issue(session=session, settings=settings, match=match, user=user)
    return RevealTokenOut(token=token, expires_at=expires)


@router.post("/contact-reveals/redeem")
async def redeem_reveal(
    data: RevealIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    user_agent: Annotated[str | None, Header(max_length=512)] = None,
) -> ContactOut:
    ip = request.client.host if request.client else None
    name, phone = await reveal.redeem(
        session=session,
        settings=settings,
        user=user,
        token=data.token,
        ip=ip,
        user_agent=user_agent,
    )
    return ContactOut(name=name, phone=phone)


# Hiring: the client's answer to a proposal (matches/hiring.py). The names `accept` and `reject`
# keep the OpenAPI operation ids these routes had under projects.
@router.post("/proposals/{proposal_id}/reject", tags=["projects"])
async def reject(proposal: ReceivedProposal, session: SessionDep) -> ProposalOut:
    return proposal_out(await hiring.reject(session=session, proposal=proposal))


@router.post("/proposals/{proposal_id}/accept", tags=["projects"])
async def accept(proposal: ReceivedProposal, session: SessionDep) -> AcceptOut:
    accepted, match, job = await hiring.accept(session=session, proposal=proposal)
    return AcceptOut(proposal=proposal_out(accepted), match_id=match.id, job_id=job.id)
