"""triage examples: agents' urgency corrections the triage model learns from

Revision ID: h14_triage_examples
Revises: h18_settings
"""
import sqlalchemy as sa
from alembic import op

revision = "h14_triage_examples"
down_revision = "h18_settings"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "triage_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("triage_examples") as batch_op:
        batch_op.create_index("ix_triage_examples_case_id", ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("triage_examples") as batch_op:
        batch_op.drop_index("ix_triage_examples_case_id")
    op.drop_table("triage_examples")
