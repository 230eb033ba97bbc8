"""Consent (issue 6): per organisation and data kind, its history, and the log of views

Revision ID: c61b5c2d8b02
Revises: c61a0e1f7a01
Create Date: 2026-11-21 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c61b5c2d8b02"
down_revision = "c61a0e1f7a01"
branch_labels = None
depends_on = None

_KINDS = ("progress", "scores", "skills", "submissions")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade():
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("data_kind", _KINDS), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consents", "user_id", "users", "CASCADE"),
        _fk("consents", "org_id", "organisations", "CASCADE"),
        _fk("consents", "membership_id", "memberships", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint(
            "user_id", "org_id", "kind", name=op.f("uq_consents_user_id_org_id_kind")
        ),
    )
    op.create_index("ix_consents_org_id_kind", "consents", ["org_id", "kind"])
    op.create_index("ix_consents_membership_id", "consents", ["membership_id"])

    vias = ("page", "api")
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("data_kind", _KINDS), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("via", _enum("consent_via", vias), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("consent_events", "user_id", "users", "CASCADE"),
        _fk("consent_events", "org_id", "organisations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(
        "ix_consent_events_user_id_org_id_at", "consent_events", ["user_id", "org_id", "at"]
    )

    vias = ("page", "export", "api")
    op.create_table(
        "org_data_accesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("via", _enum("access_via", vias), nullable=False),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("org_data_accesses", "org_id", "organisations", "CASCADE"),
        _fk("org_data_accesses", "viewer_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_data_accesses")),
    )
    op.create_index("ix_org_data_accesses_org_id_at", "org_data_accesses", ["org_id", "at"])

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
        _fk("org_data_access_subjects", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("access_id", "user_id", name=op.f("pk_org_data_access_subjects")),
    )
    op.create_index("ix_org_data_access_subjects_user_id", "org_data_access_subjects", ["user_id"])


def downgrade():
    op.drop_index("ix_org_data_access_subjects_user_id", table_name="org_data_access_subjects")
    op.drop_table("org_data_access_subjects")
    op.drop_index("ix_org_data_accesses_org_id_at", table_name="org_data_accesses")
    op.drop_table("org_data_accesses")
    op.drop_index("ix_consent_events_user_id_org_id_at", table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_index("ix_consents_membership_id", table_name="consents")
    op.drop_index("ix_consents_org_id_kind", table_name="consents")
    op.drop_table("consents")
