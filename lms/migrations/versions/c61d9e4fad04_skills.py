"""Skills (issue 6): competency framework, mappings to courses/assignments/cells, evidence

Revision ID: c61d9e4fad04
Revises: c61c7d3e9c03
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c61d9e4fad04"
down_revision = "c61c7d3e9c03"
branch_labels = None
depends_on = None

TRACKS = ("ai_foundations", "smart_factory", "smart_mobility", "semiconductors", "smart_healthcare")


def upgrade():
    op.create_table(
        "competency_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_ko", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_ko", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column(
            "track",
            sa.Enum(*TRACKS, name="track", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level >= 1 AND level <= 4", name=op.f("ck_competency_units_level_range")
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_competency_units_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["competency_units.id"],
            name=op.f("fk_competency_units_parent_id_competency_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_units")),
        sa.UniqueConstraint("code", name=op.f("uq_competency_units_code")),
    )
    with op.batch_alter_table("competency_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competency_units_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index("ix_competency_units_track_level", ["track", "level"], unique=False)

    op.create_table(
        "skill_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_name", sa.String(length=64), nullable=False),
        sa.Column("cell_id", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "package",
                "manual",
                name="mapping_source",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "weight > 0 AND weight <= 100", name=op.f("ck_skill_mappings_weight_range")
        ),
        sa.CheckConstraint(
            "cell_id = '' OR assignment_name <> ''",
            name=op.f("ck_skill_mappings_cell_needs_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["competency_units.id"],
            name=op.f("fk_skill_mappings_unit_id_competency_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_skill_mappings_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_skill_mappings_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_mappings")),
        sa.UniqueConstraint(
            "unit_id",
            "course_id",
            "assignment_name",
            "cell_id",
            name=op.f("uq_skill_mappings_unit_id_course_id_assignment_name_cell_id"),
        ),
    )
    with op.batch_alter_table("skill_mappings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_skill_mappings_course_id_assignment_name",
            ["course_id", "assignment_name"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("skill_mappings", schema=None) as batch_op:
        batch_op.drop_index("ix_skill_mappings_course_id_assignment_name")
    op.drop_table("skill_mappings")
    with op.batch_alter_table("competency_units", schema=None) as batch_op:
        batch_op.drop_index("ix_competency_units_track_level")
        batch_op.drop_index(batch_op.f("ix_competency_units_parent_id"))
    op.drop_table("competency_units")
