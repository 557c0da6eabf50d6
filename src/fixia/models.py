"""Import every domain's models so the metadata is complete (Alembic, tests, create_all)."""


def import_all() -> None:
    from fixia.accounts import models as _accounts  # noqa: F401
    from fixia.catalog import models as _catalog  # noqa: F401
