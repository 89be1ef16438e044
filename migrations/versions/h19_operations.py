"""operations: the request id on outbox rows, an index for the alert sweep, alert episodes

Revision ID: h19_operations
Revises: h17_inbound_mail
"""
import sqlalchemy as sa
from alembic import op

revision = "h19_operations"
down_revision = "h17_inbound_mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_outbox_request_id", ["request_id"], unique=False)
        batch_op.create_index("ix_outbox_job_created", ["job_name", "created_at"], unique=False)
    op.create_table(
        "alert_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("open_key", sa.String(length=120), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_alert_episodes_closed_at", "alert_episodes", ["closed_at"], unique=False)


def downgrade():
    op.drop_index("ix_alert_episodes_closed_at", table_name="alert_episodes")
    op.drop_table("alert_episodes")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_job_created")
        batch_op.drop_index("ix_outbox_request_id")
        batch_op.drop_column("request_id")
