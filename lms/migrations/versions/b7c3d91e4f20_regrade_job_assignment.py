"""Grading (issue 4): a grading job knows which version's assignment it grades (regrade)

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
            batch_op.f("uq_grading_jobs_submission_id_assignment_id"), ["submission_id", "assignment_id"]
        )
    # existing jobs graded the submission's own assignment
    op.execute(
        "UPDATE grading_jobs SET assignment_id = (SELECT submissions.assignment_id "
        "FROM submissions WHERE submissions.id = grading_jobs.submission_id)"
    )


def downgrade():
    with op.batch_alter_table("grading_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_grading_jobs_submission_id_assignment_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_grading_jobs_assignment_id_assignments"), type_="foreignkey"
        )
        batch_op.drop_column("assignment_id")
