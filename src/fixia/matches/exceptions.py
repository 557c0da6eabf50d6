from fixia.errors import Conflict, DomainError, Forbidden, NotFound


class JobNotFound(NotFound):
    """No such job, or the caller is not a party to it."""

    code, title = "job_not_found", "Job not found"


class MatchNotFound(NotFound):
    """No such match, or the caller is not a party to it."""

    code, title = "match_not_found", "Match not found"


class InvalidTransition(Conflict):
    """The job cannot move to that status from its current one."""

    code, title = "invalid_transition", "Invalid status transition"


class NotAllowedParty(Forbidden):
    """This party may not take this step (e.g. confirming its own completion request)."""

    code, title = "not_allowed_party", "This step belongs to the other party"


class ServiceRequestNotFound(NotFound):
    """No such service request, or the caller is not a party to it."""

    code, title = "service_request_not_found", "Service request not found"


class OwnService(Forbidden):
    """A professional cannot request their own service."""

    code, title = "own_service", "You cannot request your own service"


class PendingRequestExists(Conflict):
    """The client already has a pending request for this service."""

    code, title = "pending_request_exists", "You already have a pending request for this service"


class RequestNotPending(Conflict):
    """Only a pending request can be accepted, rejected or cancelled."""

    code, title = "request_not_pending", "The request is not pending"


class RevealNotAllowed(Forbidden):
    """Contact details are revealed only within an active or completed match."""

    code, title = "reveal_not_allowed", "Contact reveal is not allowed for this match"


class InvalidRevealToken(DomainError):
    """The reveal token is unknown, used, expired or belongs to someone else."""

    status, code, title = 410, "reveal_token_invalid", "The reveal link is invalid or was used"
