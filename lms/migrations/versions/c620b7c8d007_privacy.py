"""Privacy (issue 6): personal data export and deletion requests

Revision ID: c620b7c8d007
Revises: c61f3a6bcf06
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c620b7c8d007"
down_revision = "c61f3a6bcf06"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
