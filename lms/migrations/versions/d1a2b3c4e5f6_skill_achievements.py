"""Skill achievements stored per learner and unit, kept by ``lms.skills.stored``

Revision ID: d1a2b3c4e5f6
Revises: 43ba5895e0cb
Create Date: 2026-11-21 19:00:00.000000

The organisation dashboard counts achieved units of thousands of members; applying the
rules to every graded result cost ~375 ms per request for 2,000 learners. The table is
filled here for everyone by the rules themselves (``lms.skills.stored.refresh_achievements``
on this migration's connection, one DELETE and INSERT … SELECT per 5,000 learners): the
rules live in one place, and ``flask --app lms skills refresh-achievements --check`` tells
whether a later change to them left stored rows behind.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d1a2b3c4e5f6"
down_revision = "43ba5895e0cb"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "skill_achievements",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("achieved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["competency_units.id"],
            name=op.f("fk_skill_achievements_unit_id_competency_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_skill_achievements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "unit_id", name=op.f("pk_skill_achievements")),
    )
    op.create_index(
        op.f("ix_skill_achievements_unit_id"), "skill_achievements", ["unit_id"], unique=False
    )
    from lms.skills.stored import refresh_achievements

    refresh_achievements(op.get_bind())


def downgrade():
    op.drop_index(op.f("ix_skill_achievements_unit_id"), table_name="skill_achievements")
    op.drop_table("skill_achievements")
