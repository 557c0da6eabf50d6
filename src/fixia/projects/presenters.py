from __future__ import annotations

from fixia.catalog.schemas import CategoryRef
from fixia.projects.models import Project, Proposal
from fixia.projects.opportunities import Opportunity
from fixia.projects.schemas import (
    OpportunityOut,
    PersonRef,
    ProfessionalRef,
    ProjectOut,
    ProposalOut,
)


def project_out(project: Project, proposal_count: int) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        client=PersonRef(id=project.client.id, name=project.client.name),
        category=CategoryRef.model_validate(project.category),
        title=project.title,
        description=project.description,
        budget_min=project.budget_min,
        budget_max=project.budget_max,
        deadline=project.deadline,
        location=project.location,
        is_remote=project.is_remote,
        skills=project.skills,
        status=project.status,
        proposal_count=proposal_count,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def opportunity_out(o: Opportunity) -> OpportunityOut:
    return OpportunityOut(
        **project_out(o.project, o.proposal_count).model_dump(),
        match_score=o.match_score,
        is_applied=bool(o.my_proposals),
        my_proposals=o.my_proposals,
    )


def proposal_out(proposal: Proposal) -> ProposalOut:
    """No phone or e-mail here: contact details are only shared through the reveal flow."""
    pro = proposal.professional
    profile = pro.profile
    return ProposalOut(
        id=proposal.id,
        project_id=proposal.project_id,
        project_title=proposal.project.title,
        professional=ProfessionalRef(
            id=pro.id,
            name=pro.name,
            level=profile.level if profile else None,
            rating=profile.rating if profile else None,
            review_count=profile.review_count if profile else None,
            avatar_url=pro.avatar_url,
        ),
        message=proposal.message,
        quoted_price=proposal.quoted_price,
        delivery_time_days=proposal.delivery_time_days,
        status=proposal.status,
        created_at=proposal.created_at,
        decided_at=proposal.decided_at,
    )
