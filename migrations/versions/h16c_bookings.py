"""bookings: seats held in repair and callback slots, unique per (kind, slot start, seat)

Revision ID: h16c_bookings
Revises: h19_operations
"""
import sqlalchemy as sa
from alembic import op

revision = "h16c_bookings"
down_revision = "h19_operations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seat >= 0", name="ck_bookings_seat"),
        sa.CheckConstraint("kind in ('repair', 'callback')", name="ck_bookings_kind"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["callback_id"], ["callbacks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "slot_start", "seat", name="uq_bookings_kind_slot_seat"),
        sa.UniqueConstraint("kind", "case_id", name="uq_bookings_kind_case"),
    )
    op.create_index("ix_bookings_slot", "bookings", ["slot_start"], unique=False)
    op.create_index("ix_bookings_case_id", "bookings", ["case_id"], unique=False)


def downgrade():
    op.drop_index("ix_bookings_case_id", table_name="bookings")
    op.drop_index("ix_bookings_slot", table_name="bookings")
    op.drop_table("bookings")
