from fixia.errors import Conflict, Forbidden, InvalidInput, NotFound


class VerificationNotFound(NotFound):
    """No such verification request, or it is not the caller's."""

    code, title = "verification_not_found", "Verification request not found"


class VerificationPending(Conflict):
    """One request of a type waits at a time."""

    code, title = "verification_pending", "A request of this type is already waiting"


class AlreadyVerified(Conflict):
    """An approval still valid: resubmit only in its last RENEW_WINDOW_DAYS."""

    code, title = "already_verified", "This is already verified"


class NotPending(Conflict):
    """Only a pending request can be decided or cancelled."""

    code, title = "verification_not_pending", "The request is no longer pending"


class InvalidCuit(InvalidInput):
    """The CUIT/CUIL's check digit does not match (AFIP's modulo-11 algorithm)."""

    code, title = "invalid_cuit", "The CUIT/CUIL is not valid"


class PhoneCodeInvalid(Conflict):
    """Wrong, expired or used up: the same answer for all three."""

    code, title = "phone_code_invalid", "The code is wrong or expired"


class NoPhone(Conflict):
    code, title = "no_phone", "Add a phone number to your profile first"


class EmailNotVerified(Conflict):
    code, title = "email_not_confirmed", "Verify your e-mail address first"


class OwnReviewVote(Forbidden):
    code, title = "own_review_vote", "You cannot vote on a review of your own"
