"""Demo data: the demo learner's finished course has a confirmed completion and so a
credential, to open at /me/credentials and share (idempotent; flushes)."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course, Enrollment


def load_credentials_demo(counter: list[int], learner: User, course: Course) -> None:
    """Confirm ``learner``'s completion of ``course`` (through the completion domain, which
    issues the credential) unless it is confirmed already; then make sure it has one."""
    from lms.completion.models import Completion
    from lms.completion.services import confirm_course
    from lms.credentials.services import issue_for_completion
    from lms.db import db

    completion = db.session.scalar(
        select(Completion).where(
            Completion.user_id == learner.id,
            Completion.course_id == course.id,
            Completion.revoked_at.is_(None),
        )
    )
    if completion is None:
        enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.user_id == learner.id, Enrollment.course_id == course.id
            )
        )
        if enrollment is None:
            return
        reason = "데모 데이터: 강사가 수업에서 이수를 확인함 (demo data)"
        completion = confirm_course(None, enrollment, override_reason=reason)
        counter[0] += 1
    issue_for_completion(completion)
