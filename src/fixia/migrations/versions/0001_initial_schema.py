"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:17:50.254933
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db
from fixia.catalog import taxonomy

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("icon", sa.String(length=50), nullable=True),
        sa.Column("popular", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_categories_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "client",
                "professional",
                "dual",
                "admin",
                name="user_role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("dni", sa.String(length=8), nullable=True),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=32), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("email_verified_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("failed_login_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("is_professional_active", sa.Boolean(), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("plan_expires_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suspended_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("dni", name=op.f("uq_users_dni")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "one_time_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_one_time_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_tokens_token_hash")),
    )
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_one_time_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "password_history",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    with op.batch_alter_table("password_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_history_user_id"), ["user_id"], unique=False)

    op.create_table(
        "professional_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("years_experience", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "Nuevo",
                "ProfesionalVerificado",
                "TopRatedPlus",
                "TecnicoCertificado",
                name="professional_level",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rating", fixia.db.Money(precision=12, scale=2), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column(
            "availability",
            sa.Enum(
                "available",
                "busy",
                "unavailable",
                name="availability",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("response_time_hours", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_professional_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professional_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_professional_profiles_user_id")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_refresh_tokens_family_id", ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "subcategories",
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_subcategories_category_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subcategories")),
        sa.UniqueConstraint("category_id", "slug", name=op.f("uq_subcategories_category_id_slug")),
    )
    with op.batch_alter_table("subcategories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subcategories_category_id"), ["category_id"], unique=False
        )

    op.create_table(
        "services",
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("subcategory_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", fixia.db.Money(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("tags_text", sa.Text(), nullable=False),
        sa.Column("main_image_url", sa.String(length=500), nullable=True),
        sa.Column("delivery_time_days", sa.Integer(), nullable=False),
        sa.Column("revisions_included", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("deleted_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_services_price_non_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_services_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["users.id"], name=op.f("fk_services_professional_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subcategory_id"],
            ["subcategories.id"],
            name=op.f("fk_services_subcategory_id_subcategories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index("ix_services_active_created", ["active", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_services_category_id"), ["category_id"], unique=False)
        batch_op.create_index("ix_services_price", ["price"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_services_professional_id"), ["professional_id"], unique=False
        )

    op.create_table(
        "favorites",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("professional_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(service_id IS NULL) <> (professional_id IS NULL)",
            name=op.f("ck_favorites_exactly_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["users.id"],
            name=op.f("fk_favorites_professional_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_favorites_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorites")),
        sa.UniqueConstraint(
            "user_id", "professional_id", name=op.f("uq_favorites_user_id_professional_id")
        ),
        sa.UniqueConstraint("user_id", "service_id", name=op.f("uq_favorites_user_id_service_id")),
    )
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favorites_user_id"), ["user_id"], unique=False)

    op.create_table(
        "service_views",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("viewer_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_views_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], name=op.f("fk_service_views_viewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_views")),
    )
    with op.batch_alter_table("service_views", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_views_service_id"), ["service_id"], unique=False
        )
    _full_text_search()
    _seed_taxonomy()


# The same expression as fixia.catalog.search.PG_DOCUMENT: the planner only uses the index
# when the query repeats it exactly.
PG_DOCUMENT = (
    "to_tsvector('spanish', coalesce(services.title, '') || ' ' || "
    "coalesce(services.description, '') || ' ' || coalesce(services.tags_text, ''))"
)

# FTS5 rows share the services rowid. A later batch migration that rebuilds `services` on
# SQLite drops these triggers: recreate them and run
# INSERT INTO services_fts(services_fts) VALUES('rebuild') semantics by re-inserting rows.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE services_fts USING fts5(service_id UNINDEXED, title, description, "
    "tags, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER services_fts_ai AFTER INSERT ON services BEGIN "
    "INSERT INTO services_fts(rowid, service_id, title, description, tags) "
    "VALUES (new.rowid, new.id, new.title, new.description, new.tags_text); END",
    "CREATE TRIGGER services_fts_ad AFTER DELETE ON services BEGIN "
    "DELETE FROM services_fts WHERE rowid = old.rowid; END",
    "CREATE TRIGGER services_fts_au AFTER UPDATE OF title, description, tags_text ON services "
    "BEGIN UPDATE services_fts SET title = new.title, description = new.description, "
    "tags = new.tags_text WHERE rowid = old.rowid; END",
]


def _full_text_search() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_services_fts ON services USING gin ({PG_DOCUMENT})")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def _seed_taxonomy() -> None:
    # Reference data every environment needs; ids are derived from slugs (uuid5).
    categories = sa.table(
        "categories",
        sa.column("id", sa.Uuid()),
        sa.column("name"),
        sa.column("slug"),
        sa.column("icon"),
        sa.column("popular"),
        sa.column("position"),
    )
    subcategories = sa.table(
        "subcategories",
        sa.column("id", sa.Uuid()),
        sa.column("category_id", sa.Uuid()),
        sa.column("name"),
        sa.column("slug"),
        sa.column("position"),
    )
    op.bulk_insert(categories, taxonomy.category_rows())
    op.bulk_insert(subcategories, taxonomy.subcategory_rows())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_services_fts")
    else:
        for name in ("services_fts_ai", "services_fts_ad", "services_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS services_fts")
    with op.batch_alter_table("service_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_views_service_id"))

    op.drop_table("service_views")
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favorites_user_id"))

    op.drop_table("favorites")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_professional_id"))
        batch_op.drop_index("ix_services_price")
        batch_op.drop_index(batch_op.f("ix_services_category_id"))
        batch_op.drop_index("ix_services_active_created")

    op.drop_table("services")
    with op.batch_alter_table("subcategories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subcategories_category_id"))

    op.drop_table("subcategories")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index("ix_refresh_tokens_family_id")

    op.drop_table("refresh_tokens")
    op.drop_table("professional_profiles")
    with op.batch_alter_table("password_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_history_user_id"))

    op.drop_table("password_history")
    with op.batch_alter_table("one_time_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_tokens_user_id"))

    op.drop_table("one_time_tokens")
    op.drop_table("users")
    op.drop_table("categories")
