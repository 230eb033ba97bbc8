"""What the portal tells relying parties about a user (OIDC claims, hub groups)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from deploy.profiles import PROFILES_PROPERTY, course_group, course_profiles, role_group
from lms.accounts.models import User
from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.db import db


def hub_username(user: User) -> str:
    """The user's name on JupyterHub: ``u<id>``. Stable (never changes with the e-mail or
    name) and safe in URLs, file names and Unix/Kubernetes names."""
    return f"u{user.id}"


def active_courses(user: User) -> list[Course]:
    """Courses with an active enrolment of ``user``, by slug (one query)."""
    stmt = (
        select(Course)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id, Enrollment.status == EnrollmentStatus.ACTIVE)
        .order_by(Course.slug)
    )
    return list(db.session.scalars(stmt))


def lab_groups(user: User) -> dict[str, dict[str, Any]]:
    """Hub groups for ``user`` → their properties: one ``course:<slug>`` group per active
    enrolment (with the profiles the course offers) and ``role:<role>``."""
    groups: dict[str, dict[str, Any]] = {
        course_group(c.slug): {PROFILES_PROPERTY: list(course_profiles(c.needs_gpu))}
        for c in active_courses(user)
    }
    groups[role_group(str(user.role.value))] = {}
    return groups


def user_claims(user: User, scope: str) -> dict[str, Any]:
    """Claims for ``scope`` (space-separated): ``sub`` always; ``preferred_username`` and
    ``name`` with ``profile``; ``email`` with ``email``; ``groups`` with ``groups``."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        claims.update(preferred_username=hub_username(user), name=user.name)
        if user.locale:
            claims["locale"] = user.locale
    if "email" in scopes:
        claims.update(email=user.email, email_verified=False)
    if "groups" in scopes:
        claims["groups"] = sorted(lab_groups(user))
    return claims
