"""outbox lease: a claimed row's lease, renewed by the live worker, so a killed worker's rows go out again soon

Revision ID: h13_outbox_lease
Revises: 7e806678aa23
"""
import sqlalchemy as sa
from alembic import op

revision = "h13_outbox_lease"
down_revision = "7e806678aa23"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("lease_until")
