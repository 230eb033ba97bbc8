"""Completion (issue 6): policies, live-session attendance, qualifications and confirmations

Revision ID: c61c7d3e9c03
Revises: c61b5c2d8b02
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61c7d3e9c03"
down_revision = "c61b5c2d8b02"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
