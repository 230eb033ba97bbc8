"""Privacy (issue 6): personal data export and deletion requests

Revision ID: c620b7c8d007
Revises: c61f3a6bcf06
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c620b7c8d007"
down_revision = "c61f3a6bcf06"
branch_labels = None
depends_on = None

_EXPORT_STATUS = sa.Enum(
    "pending", "ready", "failed", "expired",
    name="export_status", native_enum=False, create_constraint=True, length=20,
)  # fmt: skip
_DELETION_STATUS = sa.Enum(
    "pending", "cancelled", "rejected", "completed",
    name="deletion_status", native_enum=False, create_constraint=True, length=20,
)  # fmt: skip


def upgrade():
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", _EXPORT_STATUS, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=80), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_data_exports_user_id_users"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_data_exports_user_id_requested_at", ["user_id", "requested_at"], unique=False
        )
        batch_op.create_index(
            "ix_data_exports_status_expires_at", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "deletion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", _DELETION_STATUS, nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"],
            name=op.f("fk_deletion_requests_decided_by_id_users"), ondelete="SET NULL",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_deletion_requests_user_id_users"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_requests")),
    )
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deletion_requests_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "ix_deletion_requests_status_requested_at", ["status", "requested_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_requests_status_requested_at")
        batch_op.drop_index(batch_op.f("ix_deletion_requests_user_id"))
    op.drop_table("deletion_requests")
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_data_exports_status_expires_at")
        batch_op.drop_index("ix_data_exports_user_id_requested_at")
    op.drop_table("data_exports")
