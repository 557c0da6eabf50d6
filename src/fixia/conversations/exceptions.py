from fixia.errors import Forbidden, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    """No such conversation, or the caller may not read it."""

    code, title = "conversation_not_found", "Conversation not found"


class ContextNotFound(NotFound):
    """No such proposal, service request or job, or the caller is not a party to it."""

    code, title = "conversation_context_not_found", "Proposal, request or job not found"


class MessageNotFound(NotFound):
    """No such message in this conversation."""

    code, title = "message_not_found", "Message not found"


class InvalidAttachment(InvalidInput):
    """An attachment must be one of the sender's own images, processed and ready."""

    code, title = "invalid_attachment", "Invalid attachment"


class NotReported(Forbidden):
    """Admins read a conversation only after one of its messages was reported."""

    code, title = "conversation_not_reported", "This conversation was not reported"


class MessageTooLong(InvalidInput):
    """A message holds at most the configured number of characters (2000)."""

    code, title = "message_too_long", "Message too long"
