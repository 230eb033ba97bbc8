"""Mail outbox: e-mails queued in the same transaction as the change they report, delivered
by ``flask --app lms mail send``

Revision ID: 43ba5895e0cb
Revises: c621d0e4f108
Create Date: 2026-11-21 18:13:41.284849

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "43ba5895e0cb"
down_revision = "c621d0e4f108"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbound_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sent",
                "failed",
                "cancelled",
                name="mail_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("contains_secret", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_mails")),
    )
    with op.batch_alter_table("outbound_mails", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_mails_ref", ["ref"], unique=False)
        batch_op.create_index(
            "ix_outbound_mails_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbound_mails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_mails_status_next_attempt_at")
        batch_op.drop_index("ix_outbound_mails_ref")

    op.drop_table("outbound_mails")
