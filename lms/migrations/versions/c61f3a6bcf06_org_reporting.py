"""Organisation reporting (issue 6): organisation-scoped API tokens, reporting indexes

Revision ID: c61f3a6bcf06
Revises: c61e1f5abe05
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61f3a6bcf06"
down_revision = "c61e1f5abe05"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
