"""Organisations (issue 6): invitations, CSV imports, membership states

Revision ID: c61a0e1f7a01
Revises: b7c3d91e4f20
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61a0e1f7a01"
down_revision = "b7c3d91e4f20"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
