"""Organisations (issue 6): invitations, CSV imports, membership states

Revision ID: c61a0e1f7a01
Revises: b7c3d91e4f20
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c61a0e1f7a01"
down_revision = "b7c3d91e4f20"
branch_labels = None
depends_on = None

INVITATION_STATUS = ("pending", "accepted", "declined", "revoked", "expired")
JOIN_REQUEST_STATUS = ("pending", "approved", "rejected", "withdrawn")


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _user_fk(table, column, ondelete):
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def _org_fk(table):
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organisations.id"],
        name=op.f(f"fk_{table}_org_id_organisations"),
        ondelete="CASCADE",
    )


def upgrade():
    op.create_table(
        "org_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("role", _enum(("member", "manager"), "member_role"), nullable=False),
        sa.Column("status", _enum(INVITATION_STATUS, "invitation_status"), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_org_invitations_email_lowercase")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_org_invitations_department_id_departments"),
            ondelete="SET NULL",
        ),
        _user_fk("org_invitations", "invited_by_id", "SET NULL"),
        _org_fk("org_invitations"),
        _user_fk("org_invitations", "user_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_invitations")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_org_invitations_token_sha256")),
    )
    with op.batch_alter_table("org_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_org_invitations_email", ["email"], unique=False)
        batch_op.create_index(
            "ix_org_invitations_org_id_status", ["org_id", "status"], unique=False
        )

    op.create_table(
        "org_join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum(JOIN_REQUEST_STATUS, "join_request_status"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _user_fk("org_join_requests", "decided_by_id", "SET NULL"),
        _org_fk("org_join_requests"),
        _user_fk("org_join_requests", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_join_requests")),
    )
    with op.batch_alter_table("org_join_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_join_requests_org_id_status", ["org_id", "status"], unique=False
        )
        batch_op.create_index("ix_org_join_requests_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
    with op.batch_alter_table("org_join_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_org_join_requests_user_id")
        batch_op.drop_index("ix_org_join_requests_org_id_status")
    op.drop_table("org_join_requests")
    with op.batch_alter_table("org_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_org_invitations_org_id_status")
        batch_op.drop_index("ix_org_invitations_email")
    op.drop_table("org_invitations")
