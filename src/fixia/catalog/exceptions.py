from fixia.errors import Conflict, Forbidden, LimitExceeded, NotFound


class ServiceNotFound(NotFound):
    """No such service, or it is not visible to the caller."""

    code, title = "service_not_found", "Service not found"


class CategoryNotFound(NotFound):
    """The category or subcategory does not exist."""

    code, title = "category_not_found", "Category not found"


class NotServiceOwner(Forbidden):
    """Only the professional who owns the service may change it."""

    code, title = "not_service_owner", "You do not own this service"


class ActiveServicesLimit(LimitExceeded):
    """The plan's limit on active services is reached."""

    code = "active_services_limit"


class AlreadyFavorite(Conflict):
    """The target is already in the caller's favorites."""

    code, title = "already_favorite", "Already in favorites"


class FavoriteNotFound(NotFound):
    """The target is not in the caller's favorites."""

    code, title = "favorite_not_found", "Not in favorites"
