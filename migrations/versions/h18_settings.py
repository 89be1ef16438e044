"""settings changed in the browser, with their history; staff two-factor sign-in

Revision ID: h18_settings
Revises: h13_outbox_lease
"""
from alembic import op
import sqlalchemy as sa


revision = "h18_settings"
down_revision = "h13_outbox_lease"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "setting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("setting_changes", schema=None) as batch_op:
        batch_op.create_index("ix_setting_changes_key_id", ["key", "id"], unique=False)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recovery_code_hashes", sa.JSON(), nullable=True))
    op.execute("UPDATE staff SET recovery_code_hashes = '[]'")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column("recovery_code_hashes", existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("recovery_code_hashes")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("setting_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_setting_changes_key_id")
    op.drop_table("setting_changes")
