from fixia.errors import Conflict, Forbidden, InvalidInput, NotFound


class MilestoneNotFound(NotFound):
    """No such milestone, or the caller is not a party to its job."""

    code, title = "milestone_not_found", "Milestone not found"


class MoneyJobNotFound(NotFound):
    """No such job, or the caller is not a party to it."""

    code, title = "job_not_found", "Job not found"


class PlanDoesNotAddUp(InvalidInput):
    """The milestones' amounts must add up to the job's agreed price."""

    code, title = "plan_does_not_add_up", "The milestones must add up to the agreed price"


class PlanLocked(Conflict):
    """A plan with funded milestones cannot be replaced, and only a proposal can be accepted."""

    code, title = "plan_locked", "The milestone plan can no longer change"


class MilestoneStateConflict(Conflict):
    """The milestone is not in a state that allows this step."""

    code, title = "milestone_state_conflict", "The milestone cannot take this step now"


class NotMilestoneParty(Forbidden):
    """This step belongs to the other party (the client funds and approves, the professional
    marks done)."""

    code, title = "not_milestone_party", "This step belongs to the other party"


class InvalidRefund(InvalidInput):
    """A partial refund must be more than zero and less than the held amount."""

    code, title = "invalid_refund", "Invalid refund amount"


class PayoutAccountMissing(Conflict):
    """The professional has not linked a payout account yet."""

    code, title = "payout_account_missing", "Link a payout account first"


class LinkStateMismatch(Forbidden):
    """The OAuth state does not belong to this user: start linking again."""

    code, title = "link_state_mismatch", "This authorisation is not yours"
