"""Credentials (issue 6): Open Badges 3.0 credentials, signing keys, revocations; data requests

Revision ID: c61e1f5abe05
Revises: c61d9e4fad04
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61e1f5abe05"
down_revision = "c61d9e4fad04"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
