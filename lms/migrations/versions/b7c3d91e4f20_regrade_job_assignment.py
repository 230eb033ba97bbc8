"""Grading (issue 4): a grading job knows which version's assignment it grades (regrade);
rubric criteria per manually graded cell and their ticks

Revision ID: b7c3d91e4f20
Revises: e07fff01e345
Create Date: 2026-11-21 13:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c3d91e4f20"
down_revision = "e07fff01e345"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rubric_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("assignment_name", sa.String(length=64), nullable=False),
        sa.Column("cell_id", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_rubric_criteria_points_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_rubric_criteria_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_rubric_criteria_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_criteria")),
        sa.UniqueConstraint(
            "course_id",
            "assignment_name",
            "cell_id",
            "text",
            name=op.f("uq_rubric_criteria_course_id_assignment_name_cell_id_text"),
        ),
    )
    op.create_table(
        "rubric_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rubric_criteria.id"],
            name=op.f("fk_rubric_checks_criterion_id_rubric_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["result_parts.id"],
            name=op.f("fk_rubric_checks_part_id_result_parts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_checks")),
        sa.UniqueConstraint(
            "part_id", "criterion_id", name=op.f("uq_rubric_checks_part_id_criterion_id")
        ),
    )
    with op.batch_alter_table("grading_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grading_jobs_assignment_id_assignments"),
            "assignments",
            ["assignment_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_grading_jobs_submission_id_assignment_id"),
            ["submission_id", "assignment_id"],
        )
    # existing jobs graded the submission's own assignment
    op.execute(
        "UPDATE grading_jobs SET assignment_id = (SELECT submissions.assignment_id "
        "FROM submissions WHERE submissions.id = grading_jobs.submission_id)"
    )


def downgrade():
    op.drop_table("rubric_checks")
    op.drop_table("rubric_criteria")
    with op.batch_alter_table("grading_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_grading_jobs_submission_id_assignment_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_grading_jobs_assignment_id_assignments"), type_="foreignkey"
        )
        batch_op.drop_column("assignment_id")
