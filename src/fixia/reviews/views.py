"""The review form of a finished job."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fixia.accounts.web_session import SignedIn
from fixia.deps import SessionDep
from fixia.matches.dependencies import party_job
from fixia.matches.presenters import job_out
from fixia.reviews import service
from fixia.reviews.schemas import ReviewCreate
from fixia.web.pages import (
    FORM_ERRORS,
    form_data,
    form_errors,
    parse,
    redirect,
    render,
)

router = APIRouter()
STAR_FIELDS = ("rating", "communication", "quality", "professionalism", "timeliness")


def _review_input(data: dict[str, object]) -> dict[str, object]:
    # The API refuses "4" for a star count (strict); a form only ever sends text.
    values = dict(data)
    for key in STAR_FIELDS:
        value = values.get(key)
        if isinstance(value, str) and value.isdigit():
            values[key] = int(value)
    return values


@router.get("/jobs/{job_id}/review")
async def review_page(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await party_job(job_id, session, user)
    return render(request, "reviews/form.html", {"job": job_out(job), "form": {"rating": "5"}})


@router.post("/jobs/{job_id}/review")
async def create_review(
    request: Request, job_id: uuid.UUID, user: SignedIn, session: SessionDep
) -> Response:
    job = await party_job(job_id, session, user)
    data = await form_data(request)
    try:
        await service.create(
            session=session, job=job, reviewer=user, data=parse(ReviewCreate, _review_input(data))
        )
    except FORM_ERRORS as error:
        errors = await form_errors(session, error)
    else:
        return redirect(request, f"/jobs/{job.id}", ok="reviewed")
    context = {"job": job_out(job), "form": data, "errors": errors}
    return render(request, "reviews/form.html", context, 422)
