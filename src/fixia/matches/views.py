"""Job pages: my jobs, the completion handshake, contact reveal, service requests. One job's
page shows its reviews too, so it is a composed page (`fixia/pages/jobs.py`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.accounts.access import has_role
from fixia.accounts.models import Role, User
from fixia.accounts.web_session import SignedIn
from fixia.catalog.dependencies import valid_service_id, visible_service
from fixia.deps import SessionDep, SettingsDep
from fixia.errors import NotFound
from fixia.matches import hiring, reveal, service
from fixia.matches import requests as requests_service
from fixia.matches.dependencies import party_job, party_match, party_request
from fixia.matches.exceptions import NotAllowedParty
from fixia.matches.models import ServiceRequest
from fixia.matches.presenters import job_out, request_out
from fixia.matches.schemas import ServiceRequestCreate
from fixia.projects import proposals
from fixia.projects.dependencies import received_proposal
from fixia.projects.exceptions import ProposalNotFound
from fixia.projects.models import Proposal
from fixia.web.pages import (
    FORM_ERRORS,
    WEB_PAGE_SIZE,
    cursor_param,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
)

router = APIRouter()

# The buttons a party may press, per action: the service enforces the real rules.
ACTIONS = {"start", "completion-request", "completion-confirm", "completion-decline"}


@router.get("/jobs")
async def my_jobs(request: Request, user: SignedIn, session: SessionDep) -> Response:
    found, next_cursor = await service.jobs_of(
        session=session, user=user, cursor=cursor_param(request), limit=WEB_PAGE_SIZE
    )
    context = {"jobs": [job_out(j) for j in found], "next_cursor": next_cursor}
    return render(request, "matches/jobs.html", context)


@router.post("/jobs/{job_id}/contact")
async def reveal_contact(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep, settings: SettingsDep
) -> Response:
    """Issue and spend a one-time reveal token at once: the page shows the phone, once."""
    job = await party_job(job_id, session, user)
    match = await party_match(job.match_id, session, user)
    token, _ = await reveal.issue(session=session, settings=settings, match=match, user=user)
    await session.flush()
    name, phone = await reveal.redeem(
        session=session,
        settings=settings,
        user=user,
        token=token,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return render(request, "matches/contact.html", {"job": job, "name": name, "phone": phone})


@router.post("/jobs/{job_id}/{action}")
async def job_action(
    request: Request,
    job_id: uuid.UUID,
    action: str,
    user: SignedIn,
    session: SessionDep,
) -> Response:
    if action not in ACTIONS:
        raise NotFound()
    job = await party_job(job_id, session, user)
    if action == "start":
        await service.start(session=session, job=job, actor=user)
    elif action == "completion-request":
        await service.request_completion(session=session, job=job, actor=user)
    elif action == "completion-confirm":
        await service.confirm_completion(session=session, job=job, actor=user)
    else:
        await service.decline_completion(session=session, job=job, actor=user, message=None)
    return redirect(request, f"/jobs/{job.id}", ok="job_updated")


@router.get("/service-requests")
async def service_requests(request: Request, user: SignedIn, session: SessionDep) -> Response:
    sent, sent_next = await requests_service.sent_by(
        session=session, client=user, cursor=cursor_param(request, "sent"), limit=WEB_PAGE_SIZE
    )
    received: list[ServiceRequest] = []
    received_next = None
    if has_role(user, Role.professional):
        received, received_next = await requests_service.received_by(
            session=session, pro=user, cursor=cursor_param(request, "received"), limit=WEB_PAGE_SIZE
        )
    context = {
        "sent": [request_out(r) for r in sent],
        "received": [request_out(r) for r in received],
        "sent_next": sent_next,
        "received_next": received_next,
    }
    return render(request, "matches/requests.html", context)


@router.post("/services/{service_id}/request")
async def request_service(
    request: Request, service_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    found = await visible_service(await valid_service_id(service_id, session), user)
    data = await form_data(request)
    try:
        await requests_service.create(
            session=session, client=user, service=found, data=parse(ServiceRequestCreate, data)
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, "/service-requests", ok="requested")
    return render(
        request, "matches/request_failed.html", {"errors": errors, "service_id": service_id}, 422
    )


@router.post("/service-requests/{request_id}/{answer}")
async def answer_request(
    request: Request,
    request_id: uuid.UUID,
    answer: str,
    user: SignedIn,
    session: SessionDep,
) -> Response:
    found = await party_request(request_id, session, user)
    if answer not in ("accept", "reject"):
        raise NotFound()
    if user.id != found.professional_id:
        raise NotAllowedParty("Only the professional answers a service request.")
    if answer == "accept":
        _, _, job = await requests_service.accept(session=session, request=found, message=None)
        return redirect(request, f"/jobs/{job.id}", ok="accepted")
    await requests_service.reject(session=session, request=found, message=None)
    return redirect(request, "/service-requests", ok="rejected")


# Hiring: the client's answer to a proposal (matches/hiring.py).
async def _received(session: SessionDep, proposal_id: uuid.UUID, user: User) -> Proposal:
    proposal = await proposals.load_proposal(session=session, proposal_id=proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    return await received_proposal(proposal, user)


@router.post("/proposals/{proposal_id}/accept")
async def accept_proposal(
    request: Request, proposal_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    proposal = await _received(session, proposal_id, user)
    _, _, job = await hiring.accept(session=session, proposal=proposal)
    return redirect(request, f"/jobs/{job.id}", ok="accepted")


@router.post("/proposals/{proposal_id}/reject")
async def reject_proposal(
    request: Request, proposal_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    proposal = await _received(session, proposal_id, user)
    await hiring.reject(session=session, proposal=proposal)
    return redirect(request, f"/my/projects/{proposal.project_id}", ok="rejected")
