"""Consent (issue 6): per organisation and data kind, its history, and the log of views

Revision ID: c61b5c2d8b02
Revises: c61a0e1f7a01
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c61b5c2d8b02"
down_revision = "c61a0e1f7a01"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
