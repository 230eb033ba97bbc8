"""Skills (issue 6): competency framework, mappings to courses/assignments/cells, evidence

Revision ID: c61d9e4fad04
Revises: c61c7d3e9c03
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61d9e4fad04"
down_revision = "c61c7d3e9c03"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
