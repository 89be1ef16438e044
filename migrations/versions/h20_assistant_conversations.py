"""assistant conversations and turns

Revision ID: h20_assistant_conversations
Revises: h14_triage_examples
"""
import sqlalchemy as sa
from alembic import op

revision = "h20_assistant_conversations"
down_revision = "h14_triage_examples"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assistant_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("unhelpful_count", sa.Integer(), nullable=False),
        sa.Column("handover_reason", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_assistant_conversations_created", "assistant_conversations", ["created_at"])
    op.create_index("ix_assistant_conversations_customer_id", "assistant_conversations", ["customer_id"])
    op.create_index("ix_assistant_conversations_case_id", "assistant_conversations", ["case_id"])
    op.create_table(
        "assistant_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["assistant_conversations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_turns_conversation", "assistant_turns", ["conversation_id", "id"])


def downgrade():
    op.drop_index("ix_assistant_turns_conversation", table_name="assistant_turns")
    op.drop_table("assistant_turns")
    op.drop_index("ix_assistant_conversations_case_id", table_name="assistant_conversations")
    op.drop_index("ix_assistant_conversations_customer_id", table_name="assistant_conversations")
    op.drop_index("ix_assistant_conversations_created", table_name="assistant_conversations")
    op.drop_table("assistant_conversations")
