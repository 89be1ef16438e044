"""inbound mail: processed messages, the channel of a case message, a customer's failing address

Revision ID: h17_inbound_mail
Revises: h20_assistant_conversations
"""
import sqlalchemy as sa
from alembic import op

revision = "h17_inbound_mail"
down_revision = "h20_assistant_conversations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key"),
    )
    op.create_index("ix_inbound_messages_sender_answered", "inbound_messages", ["sender", "answered_at"])
    with op.batch_alter_table("case_messages") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=10), nullable=False, server_default="portal"))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("email_failing_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("email_failing_reason", sa.String(length=200), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("email_failing_reason")
        batch.drop_column("email_failing_at")
    with op.batch_alter_table("case_messages") as batch:
        batch.drop_column("channel")
    op.drop_index("ix_inbound_messages_sender_answered", table_name="inbound_messages")
    op.drop_table("inbound_messages")
