"""conversations: conversations, messages, reports, and the stored stream events

Revision ID: 0012_conversations
Revises: 0011_media
Create Date: 2026-12-07

New tables only (docs/conversations.md): expand, so the previous release runs against this
schema unchanged. The tables are new and empty, so their indexes are created in the same
transaction (CONCURRENTLY buys nothing on an empty table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fixia.db

revision: str = "0012_conversations"
down_revision: str | Sequence[str] | None = "0011_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column(
            "context_type",
            sa.Enum(
                "proposal",
                "service_request",
                "job",
                name="conversation_context",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("context_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_archived_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("professional_archived_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("masked_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["users.id"],
            name=op.f("fk_conversations_client_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["users.id"],
            name=op.f("fk_conversations_professional_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "context_type",
            "context_id",
            "client_id",
            "professional_id",
            name=op.f("uq_conversations_context_type_context_id_client_id_professional_id"),
        ),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_client_last", ["client_id", "last_message_at"], unique=False
        )
        batch_op.create_index(
            "ix_conversations_professional_last",
            ["professional_id", "last_message_at"],
            unique=False,
        )
        batch_op.create_index("ix_conversations_reported_at", ["reported_at"], unique=False)

    op.create_table(
        "stream_cursors",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_stream_cursors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_stream_cursors")),
    )
    op.create_table(
        "stream_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_stream_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_events")),
        sa.UniqueConstraint("user_id", "seq", name=op.f("uq_stream_events_user_id_seq")),
    )
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.create_index("ix_stream_events_created_at", ["created_at"], unique=False)

    op.create_table(
        "messages",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digested_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_messages_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_messages_sender_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_conversation_created",
            ["conversation_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_messages_recipient_read", ["recipient_id", "read_at"], unique=False
        )

    op.create_table(
        "message_reports",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("reporter_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", fixia.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", fixia.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_message_reports_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_reports_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_message_reports_reporter_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_message_reports_resolved_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reports")),
    )
    with op.batch_alter_table("message_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_reports_conversation_id", ["conversation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_message_reports_conversation_id")

    op.drop_table("message_reports")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_recipient_read")
        batch_op.drop_index("ix_messages_conversation_created")

    op.drop_table("messages")
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stream_events_created_at")

    op.drop_table("stream_events")
    op.drop_table("stream_cursors")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_reported_at")
        batch_op.drop_index("ix_conversations_professional_last")
        batch_op.drop_index("ix_conversations_client_last")

    op.drop_table("conversations")
