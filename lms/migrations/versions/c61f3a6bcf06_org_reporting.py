"""Organisation reporting (issue 6): organisation-scoped API tokens, reporting indexes

Revision ID: c61f3a6bcf06
Revises: c61e1f5abe05
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c61f3a6bcf06"
down_revision = "c61e1f5abe05"
branch_labels = None
depends_on = None


def upgrade():
    # A token with org_id reads only that organisation's reporting endpoints (HR systems).
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_org_id_organisations"),
            "organisations",
            ["org_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_api_tokens_org_id"), ["org_id"], unique=False)


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_org_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_api_tokens_org_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("org_id")
