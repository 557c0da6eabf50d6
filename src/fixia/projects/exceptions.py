from fixia.errors import Conflict, Forbidden, LimitExceeded, NotFound


class ProjectNotFound(NotFound):
    """No such project, or the caller may not see it."""

    code, title = "project_not_found", "Project not found"


class NotProjectOwner(Forbidden):
    """Only the client who posted the project may do this."""

    code, title = "not_project_owner", "You do not own this project"


class ProjectNotOpen(Conflict):
    """The project no longer takes proposals or changes."""

    code, title = "project_not_open", "The project is not open"


class ProjectsPerMonthLimit(LimitExceeded):
    """The plan's monthly limit on new projects is reached."""

    code = "projects_per_month_limit"


class ProposalsPerMonthLimit(LimitExceeded):
    """The plan's monthly limit on sent proposals is reached."""

    code = "proposals_per_month_limit"


class ProposalNotFound(NotFound):
    """No such proposal, or the caller may not see it."""

    code, title = "proposal_not_found", "Proposal not found"


class OwnProject(Forbidden):
    """A professional cannot apply to their own project."""

    code, title = "own_project", "You cannot apply to your own project"


class TooManyActiveProposals(Conflict):
    """The professional already has the maximum active proposals on this project."""

    code, title = "too_many_active_proposals", "Too many active proposals on this project"


class ProposalNotPending(Conflict):
    """Only a pending proposal can be accepted, rejected or withdrawn."""

    code, title = "proposal_not_pending", "The proposal is not pending"
