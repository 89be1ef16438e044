"""staff sessions: one row per signed-in browser, for idle expiry and the "Your sessions" page

Revision ID: h18b_staff_sessions
Revises: h16b_shop_hooks
"""
import sqlalchemy as sa
from alembic import op

revision = "h18b_staff_sessions"
down_revision = "h16b_shop_hooks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("browser", sa.String(length=60), nullable=False),
        sa.Column("system", sa.String(length=60), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_sessions_staff_ended", "staff_sessions", ["staff_id", "ended_at"], unique=False)


def downgrade():
    op.drop_index("ix_staff_sessions_staff_ended", table_name="staff_sessions")
    op.drop_table("staff_sessions")
