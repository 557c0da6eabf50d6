from fixia.errors import Conflict, DomainError, Forbidden, Unauthorized


class EmailTaken(Conflict):
    """Another account already uses this e-mail."""

    code, title = "email_taken", "E-mail already registered"


class InvalidCredentials(Unauthorized):
    """Wrong e-mail or password; deliberately does not say which."""

    code, title = "invalid_credentials", "Invalid e-mail or password"


class EmailNotVerified(Forbidden):
    """The account exists but its e-mail is not verified yet."""

    code, title = "email_not_verified", "E-mail not verified"


class InvalidToken(Unauthorized):
    """The access or refresh token is missing, expired, forged or revoked."""

    code, title = "invalid_token", "Invalid or expired token"


class RefreshTokenReused(Unauthorized):
    """A rotated refresh token came back: its whole family is revoked."""

    code, title = "refresh_token_reused", "Refresh token reuse detected"


class InvalidOneTimeToken(DomainError):
    """A verification or reset link that is unknown, used or expired."""

    status, code, title = 400, "invalid_link_token", "The link is invalid or has expired"


class WrongPassword(DomainError):
    """The current password given to change it is wrong."""

    status, code, title = 400, "wrong_current_password", "Current password is incorrect"


class PasswordReused(DomainError):
    """The new password equals one of the recent ones."""

    status, code, title = 422, "password_reused", "Password used recently"


class RoleRequired(Forbidden):
    """The caller's role does not allow this action."""

    code, title = "role_required", "Your role does not allow this"


class UserNotFound(DomainError):
    """No such user, or it was deleted."""

    status, code, title = 404, "user_not_found", "User not found"
