"""return parcels: the drop-off deadline, the return and exchange parcels' tracking, the shop's return events

Revision ID: h16a_return_parcels
Revises: h18b_staff_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = "h16a_return_parcels"
down_revision = "h18b_staff_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("drop_off_due", sa.DateTime(timezone=True), nullable=True))
        for name, length in (("return_carrier", 60), ("return_tracking", 80), ("exchange_order", 40),
                             ("exchange_carrier", 60), ("exchange_tracking", 80)):
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
        batch_op.create_index("ix_cases_return_label", ["return_label"], unique=False)
    op.create_table(
        "case_shop_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("refusal", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_shop_events_case_received", "case_shop_events", ["case_id", "received_at"])


def downgrade():
    op.drop_index("ix_case_shop_events_case_received", table_name="case_shop_events")
    op.drop_table("case_shop_events")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_index("ix_cases_return_label")
        for name in ("exchange_tracking", "exchange_carrier", "exchange_order", "return_tracking", "return_carrier",
                     "drop_off_due"):
            batch_op.drop_column(name)
