from fixia.errors import Conflict


class SelfActionRefused(Conflict):
    """An admin cannot suspend or demote themself (the last admin could lock everyone out)."""

    code, title = "self_action_refused", "You cannot do this to your own account"


class AlreadySuspended(Conflict):
    """The account is already suspended."""

    code, title = "already_suspended", "The account is already suspended"


class NotSuspended(Conflict):
    """Only a suspended account can be restored."""

    code, title = "not_suspended", "The account is not suspended"
