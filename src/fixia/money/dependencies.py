from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from fixia.accounts.dependencies import CurrentUser
from fixia.deps import SessionDep
from fixia.matches.models import Job
from fixia.money import service
from fixia.money.models import Milestone


async def party_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Job:
    return await service.party_job(session, user, job_id)


async def locked_milestone(
    milestone_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> tuple[Milestone, Job]:
    """The caller's milestone, locked for the change this request makes."""
    return await service.visible(
        session=session, user=user, milestone_id=milestone_id, for_update=True
    )


PartyJob = Annotated[Job, Depends(party_job)]
LockedMilestone = Annotated[tuple[Milestone, Job], Depends(locked_milestone)]
