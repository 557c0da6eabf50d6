from fixia.errors import Conflict, Forbidden, NotFound


class ReviewNotFound(NotFound):
    """No such review, or it is hidden from the caller."""

    code, title = "review_not_found", "Review not found"


class JobNotCompleted(Conflict):
    """Reviews open only once both parties confirmed the job as completed."""

    code, title = "job_not_completed", "The job is not completed yet"


class AlreadyReviewed(Conflict):
    """The caller already reviewed this job."""

    code, title = "already_reviewed", "You already reviewed this job"


class NotReviewAuthor(Forbidden):
    """Only the reviewer may change a review."""

    code, title = "not_review_author", "You did not write this review"


class EditWindowClosed(Conflict):
    """The review is older than the edit window."""

    code, title = "review_edit_window_closed", "The review can no longer be edited"


class OtherPartyReviewed(Conflict):
    """Once the other party has reviewed, neither review may change (no retaliation edits)."""

    code, title = "other_party_reviewed", "The other party already reviewed this job"


class OwnReviewFlag(Forbidden):
    """Authors cannot flag their own review."""

    code, title = "own_review_flag", "You cannot flag your own review"


class AlreadyFlagged(Conflict):
    """The caller already flagged this review."""

    code, title = "already_flagged", "You already flagged this review"


class ReviewAlreadyHidden(Conflict):
    """The review is already hidden by a moderator."""

    code, title = "review_already_hidden", "The review is already hidden"


class ReviewNotHidden(Conflict):
    """Only a hidden review can be restored."""

    code, title = "review_not_hidden", "The review is not hidden"
