"""Reporting speed (issue 6): enrolments' next deadline not met, items completed per learner
and week, the access log's subjects as one id array per entry

Revision ID: c621d0e4f108
Revises: c620b7c8d007
Create Date: 2026-11-21 18:30:00.000000

``enrollments.next_due_at`` and ``progress_weeks`` (kept by ``lms.catalog.deadlines``)
replace the overdue anti-join and the scan of every progress row of the organisation
dashboard; ``org_data_accesses.subject_ids`` (``integer[]``
with a GIN index on PostgreSQL, JSON on SQLite) replaces the row per member of
``org_data_access_subjects``. Existing rows are carried over both ways.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c621d0e4f108"
down_revision = "c620b7c8d007"
branch_labels = None
depends_on = None

NEXT_DUE = """
UPDATE enrollments SET next_due_at = (
    SELECT MIN(ci.due_at) FROM course_items ci
    WHERE ci.course_id = enrollments.course_id AND ci.due_at IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM progress p WHERE p.enrollment_id = enrollments.id AND p.item_id = ci.id
      )
)
"""
WEEKS_PG = """
INSERT INTO progress_weeks (user_id, week, items)
SELECT e.user_id, date_trunc('week', p.completed_at AT TIME ZONE 'UTC')::date, count(*)
FROM progress p JOIN enrollments e ON e.id = p.enrollment_id GROUP BY 1, 2
"""
# SQLite keeps UTC text; 'weekday 0' moves to the coming Sunday (or stays), -6 days: Monday.
WEEKS_SQLITE = """
INSERT INTO progress_weeks (user_id, week, items)
SELECT e.user_id, date(p.completed_at, 'weekday 0', '-6 days'), count(*)
FROM progress p JOIN enrollments e ON e.id = p.enrollment_id GROUP BY 1, 2
"""
SUBJECTS_PG = """
UPDATE org_data_accesses SET subject_ids = COALESCE((
    SELECT array_agg(s.user_id ORDER BY s.user_id) FROM org_data_access_subjects s
    WHERE s.access_id = org_data_accesses.id), '{}')
"""
SUBJECTS_SQLITE = """
UPDATE org_data_accesses SET subject_ids = (
    SELECT json_group_array(user_id) FROM (
        SELECT s.user_id FROM org_data_access_subjects s
        WHERE s.access_id = org_data_accesses.id ORDER BY s.user_id))
"""


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(NEXT_DUE)
    op.create_table(
        "progress_weeks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_progress_weeks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week", name=op.f("pk_progress_weeks")),
    )
    op.execute(WEEKS_PG if _postgresql() else WEEKS_SQLITE)

    pg = _postgresql()
    kind = postgresql.ARRAY(sa.Integer()) if pg else sa.JSON()
    default = sa.text("'{}'") if pg else sa.text("'[]'")
    with op.batch_alter_table("org_data_accesses") as batch:
        batch.add_column(sa.Column("subject_ids", kind, nullable=False, server_default=default))
    op.execute(SUBJECTS_PG if pg else SUBJECTS_SQLITE)
    op.create_index(
        "ix_org_data_accesses_subject_ids",
        "org_data_accesses",
        ["subject_ids"],
        postgresql_using="gin",
    )
    op.drop_index("ix_org_data_access_subjects_user_id", table_name="org_data_access_subjects")
    op.drop_table("org_data_access_subjects")


def downgrade():
    op.create_table(
        "org_data_access_subjects",
        sa.Column("access_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_id"],
            ["org_data_accesses.id"],
            name=op.f("fk_org_data_access_subjects_access_id_org_data_accesses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_org_data_access_subjects_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("access_id", "user_id", name=op.f("pk_org_data_access_subjects")),
    )
    op.create_index("ix_org_data_access_subjects_user_id", "org_data_access_subjects", ["user_id"])
    if _postgresql():
        op.execute(
            "INSERT INTO org_data_access_subjects (access_id, user_id) "
            "SELECT a.id, u.user_id FROM org_data_accesses a, unnest(a.subject_ids) AS u(user_id) "
            "WHERE EXISTS (SELECT 1 FROM users WHERE users.id = u.user_id)"
        )
    else:
        op.execute(
            "INSERT INTO org_data_access_subjects (access_id, user_id) "
            "SELECT a.id, j.value FROM org_data_accesses a, json_each(a.subject_ids) j "
            "WHERE EXISTS (SELECT 1 FROM users WHERE users.id = j.value)"
        )
    op.drop_index("ix_org_data_accesses_subject_ids", table_name="org_data_accesses")
    with op.batch_alter_table("org_data_accesses") as batch:
        batch.drop_column("subject_ids")
    op.drop_table("progress_weeks")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("next_due_at")
