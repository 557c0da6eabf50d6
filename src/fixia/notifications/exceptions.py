from fixia.errors import NotFound


class NotificationNotFound(NotFound):
    """No such notification for this user."""

    code, title = "notification_not_found", "Notification not found"
