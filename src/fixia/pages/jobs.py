"""One job's page: the job and its history (matches) with its reviews (reviews)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.accounts.web_session import SignedIn
from fixia.deps import SessionDep
from fixia.matches import service
from fixia.matches.dependencies import viewable_job
from fixia.matches.presenters import job_detail
from fixia.reviews import service as reviews_service
from fixia.web.pages import render

router = APIRouter()


@router.get("/jobs/{job_id}")
async def job_page(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await viewable_job(job_id, session, user)
    detail = job_detail(job, await service.history(session=session, job=job))
    reviews = await reviews_service.for_job(session=session, job=job, viewer=user)
    reviewed = any(review.reviewer_id == user.id for review, _ in reviews)
    context = {"job": detail, "reviews": reviews, "reviewed": reviewed}
    return render(request, "matches/job.html", context)
