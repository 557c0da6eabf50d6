"""Import every domain's models so the metadata is complete (Alembic, tests, seeding)."""


def import_all() -> None:
    from fixia.accounts import models as _accounts  # noqa: F401
    from fixia.audit import models as _audit  # noqa: F401
    from fixia.catalog import models as _catalog  # noqa: F401
    from fixia.conversations import models as _conversations  # noqa: F401
    from fixia.matches import models as _matches  # noqa: F401
    from fixia.media import models as _media  # noqa: F401
    from fixia.money import models as _money  # noqa: F401
    from fixia.notifications import models as _notifications  # noqa: F401
    from fixia.payments import models as _payments  # noqa: F401
    from fixia.projects import models as _projects  # noqa: F401
    from fixia.queue import models as _queue  # noqa: F401
    from fixia.reviews import models as _reviews  # noqa: F401
    from fixia.streams import models as _streams  # noqa: F401
    from fixia.trust import models as _trust  # noqa: F401
