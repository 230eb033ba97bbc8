"""Completion (issue 6): policies, live-session attendance, qualifications and confirmations

Revision ID: c61c7d3e9c03
Revises: c61b5c2d8b02
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c61c7d3e9c03"
down_revision = "c61b5c2d8b02"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "completion_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("min_progress_percent", sa.Double(), nullable=True),
        sa.Column("min_score_percent", sa.Double(), nullable=True),
        sa.Column("required_labs", sa.JSON(), nullable=False),
        sa.Column("lab_pass_percent", sa.Double(), nullable=False),
        sa.Column("min_attendance_percent", sa.Double(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(course_id IS NULL) <> (programme_id IS NULL)",
            name=op.f("ck_completion_policies_one_target"),
        ),
        sa.CheckConstraint(
            "lab_pass_percent > 0 AND lab_pass_percent <= 100",
            name=op.f("ck_completion_policies_lab_pass_range"),
        ),
        sa.CheckConstraint(
            "min_attendance_percent IS NULL OR (min_attendance_percent >= 0 AND min_attendance_percent <= 100)",
            name=op.f("ck_completion_policies_attendance_range"),
        ),
        sa.CheckConstraint(
            "min_progress_percent IS NULL OR (min_progress_percent >= 0 AND min_progress_percent <= 100)",
            name=op.f("ck_completion_policies_progress_range"),
        ),
        sa.CheckConstraint(
            "min_score_percent IS NULL OR (min_score_percent >= 0 AND min_score_percent <= 100)",
            name=op.f("ck_completion_policies_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_completion_policies_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_completion_policies_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_completion_policies_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_policies")),
        sa.UniqueConstraint("course_id", name=op.f("uq_completion_policies_course_id")),
        sa.UniqueConstraint("programme_id", name=op.f("uq_completion_policies_programme_id")),
    )
    op.create_table(
        "cohort_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440",
            name=op.f("ck_cohort_sessions_duration_range"),
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_sessions_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_cohort_sessions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_sessions")),
        sa.UniqueConstraint(
            "cohort_id", "starts_at", name=op.f("uq_cohort_sessions_cohort_id_starts_at")
        ),
    )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "late",
                "excused",
                "absent",
                name="attendance_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_attendance_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cohort_sessions.id"],
            name=op.f("fk_attendance_session_id_cohort_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_attendance_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("session_id", "user_id", name=op.f("uq_attendance_session_id_user_id")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_user_id"), ["user_id"], unique=False)

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(course_id IS NULL) <> (programme_id IS NULL)", name=op.f("ck_completions_one_target")
        ),
        sa.CheckConstraint(
            "qualified OR override_reason IS NOT NULL",
            name=op.f("ck_completions_override_needs_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_completions_confirmed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_completions_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_completions_enrollment_id_enrollments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_completions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_completions_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index("ix_completions_course_id", ["course_id"], unique=False)
        batch_op.create_index("ix_completions_programme_id", ["programme_id"], unique=False)
        batch_op.create_index("ix_completions_user_id", ["user_id"], unique=False)
        batch_op.create_index(
            "uq_completions_current_course",
            ["user_id", "course_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND course_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND course_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_completions_current_programme",
            ["user_id", "programme_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND programme_id IS NOT NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND programme_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index("uq_completions_current_programme")
        batch_op.drop_index("uq_completions_current_course")
        batch_op.drop_index("ix_completions_user_id")
        batch_op.drop_index("ix_completions_programme_id")
        batch_op.drop_index("ix_completions_course_id")
    op.drop_table("completions")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_user_id"))
    op.drop_table("attendance")
    op.drop_table("cohort_sessions")
    op.drop_table("completion_policies")
