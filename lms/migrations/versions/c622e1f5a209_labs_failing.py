"""Reporting speed (issue 6): enrolments failing a lab, kept with the grades

Revision ID: c622e1f5a209
Revises: d1a2b3c4e5f6
Create Date: 2026-11-21 19:15:00.000000

``enrollments.labs_failing`` (kept by ``lms.completion.failing``) replaces reading every
graded attempt of the organisation's members on each dashboard request. Filled here with
the same rule in plain SQL (window functions: PostgreSQL, SQLite ≥ 3.25).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c622e1f5a209"
down_revision = "d1a2b3c4e5f6"
branch_labels = None
depends_on = None

FILL = """
WITH latest AS (
    SELECT s.user_id, s.course_id, s.assignment_name, s.attempt, j.status, r.score,
           row_number() OVER (PARTITION BY s.id ORDER BY j.id DESC) AS newest
    FROM submissions s
    JOIN grading_jobs j ON j.submission_id = s.id
    LEFT JOIN grading_results r ON r.job_id = j.id
),
current_version AS (
    SELECT course_id, max(number) AS number FROM course_versions GROUP BY course_id
),
labs AS (
    SELECT a.course_id, a.name, a.points, a.counts
    FROM assignments a
    JOIN course_versions v ON v.id = a.course_version_id
    JOIN current_version c ON c.course_id = v.course_id AND c.number = v.number
),
ranked AS (
    SELECT l.user_id, l.course_id, l.score, labs.points,
           row_number() OVER (
               PARTITION BY l.user_id, l.course_id, l.assignment_name
               ORDER BY CASE WHEN labs.counts = 'best' THEN l.score ELSE 0.0 END DESC,
                        l.attempt DESC
           ) AS pick
    FROM latest l
    JOIN labs ON labs.course_id = l.course_id AND labs.name = l.assignment_name
    WHERE l.newest = 1 AND l.status = 'graded' AND l.score IS NOT NULL
)
UPDATE enrollments SET labs_failing = (
    enrollments.id IN (
        SELECT e.id FROM enrollments e
        JOIN ranked ON ranked.user_id = e.user_id AND ranked.course_id = e.course_id
        LEFT JOIN completion_policies p ON p.course_id = ranked.course_id
        WHERE ranked.pick = 1
          AND ranked.score < ranked.points * COALESCE(p.lab_pass_percent, 60.0) / 100.0 - 1e-9
    )
)
"""


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(
            sa.Column("labs_failing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("labs_failing")
