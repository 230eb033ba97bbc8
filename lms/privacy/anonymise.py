"""Erasing a person: the account is anonymised and their personal content deleted, while
the records the law or the platform's duties require are kept, pseudonymised (they point at
an account that no longer says who it was).

``ERASURE_POLICY`` says, for every table holding data about a person (see
``lms.privacy.inventory``), what happens to it and why; a test fails when a table appears
that it does not cover, so a new domain has to decide. docs/privacy.md lists the same.
Services flush and never commit; ``end_lab_access`` talks to the hub and runs after the
commit.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from lms.accounts.models import Role, User
from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.grading.models import GradingResult, ResultPart, Submission
from lms.privacy.models import DataExport
from lms.publishing.models import Assignment
from lms.storage import BlobNotFound, BlobStore, LocalBlobStore, blob_store

logger = logging.getLogger(__name__)

DELETED_DOMAIN = "deleted.invalid"

#: table -> (action, why). Actions: "delete" the person's rows; "keep" them pseudonymised;
#: "scrub" keep the rows but clear their free text; "anonymise"/"custom" handled by the
#: functions below.
ERASURE_POLICY: dict[str, tuple[str, Any]] = {
    "users": ("anonymise", _l("anonymised: name, e-mail, password, language, time zone replaced")),
    "segment_changes": ("delete", _l("the learning-stage history is personal")),
    "api_tokens": ("delete", _l("access tokens")),
    "oauth_tokens": ("delete", _l("lab sign-in tokens")),
    "oauth_authorization_codes": ("delete", _l("lab sign-in codes")),
    "memberships": ("delete", _l("links to organisations and departments")),
    "org_invitations": ("delete", _l("invitations keep the e-mail address")),
    "outbound_mails": ("delete", _l("e-mails queued or sent to the person")),
    "org_join_requests": ("delete", _l("requests to join organisations")),
    "consents": ("delete", _l("consent choices")),
    "consent_events": ("delete", _l("consent history")),
    "course_instructors": ("delete", _l("teaching assignments")),
    "cohort_instructors": ("delete", _l("teaching assignments")),
    "data_exports": ("delete", _l("export zips (their files are removed first)")),
    "submissions": (
        "custom",
        _l(
            "notebooks deleted from storage; the graded attempt (points, times) is kept for "
            "the grade record"
        ),
    ),
    "enrollments": ("keep", _l("grade record: enrolment, progress and status behind grades")),
    "progress_weeks": ("keep", _l("derived from the kept progress: items completed per week")),
    "skill_achievements": ("keep", _l("derived from the kept grades: skills achieved")),
    "assignment_extensions": ("scrub", _l("deadline kept for the grade record, reason cleared")),
    "feedback_releases": ("keep", _l("grade record: when feedback was released")),
    "attendance": ("keep", _l("evidence behind confirmed completions")),
    "completions": ("keep", _l("confirmed completions back issued credentials")),
    "credentials": ("keep", _l("issued credentials must stay verifiable (recipient name kept)")),
    "lab_sessions": ("keep", _l("GPU-hour accounting of courses and organisations")),
    "deletion_requests": ("scrub", _l("the record that the erasure was done; note cleared")),
    "audit_events": (
        "scrub",
        _l("kept (grade audit, security); the person's IP and browser cleared"),
    ),
}

_TEXT_TO_CLEAR = {"assignment_extensions": ("reason",), "deletion_requests": ("reason",)}


def is_anonymised(user: User) -> bool:
    return user.email.endswith("@" + DELETED_DOMAIN)


def erase_personal_data(user: User) -> dict[str, Any]:
    """Anonymise ``user`` and delete their personal content per ``ERASURE_POLICY``; returns
    a summary of counts (no personal data). Flushes; the caller commits, then calls
    ``end_lab_access`` (the hub is outside the transaction)."""
    from lms.privacy.inventory import email_tables, subject_tables

    email = user.email
    summary: dict[str, Any] = {"deleted": {}, "scrubbed": {}, "kept": {}}
    # The files go only after the commit (``delete_notebooks``): a rollback keeps them.
    summary["blobs_to_delete"] = _erase_notebooks(user)
    _erase_exports(user)
    for table, column in subject_tables():
        action = ERASURE_POLICY.get(table.name, ("keep", ""))[0]
        summary_key = {"delete": "deleted", "scrub": "scrubbed"}.get(action, "kept")
        summary[summary_key][table.name] = _apply(action, table, column, user.id)
    for table, column in email_tables():
        if ERASURE_POLICY.get(table.name, ("keep",))[0] == "delete":
            result = db.session.execute(delete(table).where(column == email))
            summary["deleted"][table.name] = summary["deleted"].get(table.name, 0) + result.rowcount
    summary["audit_events_scrubbed"] = _scrub_audit(user)
    _anonymise_account(user)
    db.session.flush()
    return summary


def _apply(action: str, table: Any, column: Any, user_id: int) -> int:
    if action == "delete":
        return db.session.execute(delete(table).where(column == user_id)).rowcount
    if action == "scrub" and table.name in _TEXT_TO_CLEAR:
        values = dict.fromkeys(_TEXT_TO_CLEAR[table.name], "")
        return db.session.execute(update(table).where(column == user_id).values(**values)).rowcount
    return db.session.scalar(select(db.func.count()).select_from(table).where(column == user_id))


def _anonymise_account(user: User) -> None:
    user.email = f"deleted-{user.id}@{DELETED_DOMAIN}"
    user.name = f"deleted-{user.id}"
    # Not an argon2 hash: no password can ever match it.
    user.password_hash = "!erased!" + secrets.token_hex(16)
    user.role, user.is_active = Role.LEARNER, False
    user.locale = user.timezone = user.locked_until = None
    user.failed_logins = 0
    db.session.expire(user, ["segments"])  # their rows were deleted in bulk


def _scrub_audit(user: User) -> int:
    """Clear the address and browser of the person's own audit events (who did what stays)."""
    result = db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.actor_id == user.id)
        .values(ip=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _erase_exports(user: User) -> None:
    from lms.privacy.export import remove_export

    for export in db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)):
        remove_export(export)
    db.session.flush()


def _erase_notebooks(user: User) -> list[str]:
    """Clear graders' logs and feedback that quote the person's notebooks, keep the points;
    return the hashes of their notebooks that nothing else uses (to delete after commit)."""
    submissions = list(db.session.scalars(select(Submission).where(Submission.user_id == user.id)))
    if not submissions:
        return []
    ids = [s.id for s in submissions]
    shas = {s.content_sha for s in submissions} - _shared_blobs(user, submissions)
    for s in submissions:
        s.idempotency_key = None
    db.session.execute(
        update(GradingResult)
        .where(GradingResult.submission_id.in_(ids))
        .values(feedback_html="", logs="", reason="")
        .execution_options(synchronize_session=False)
    )
    result_ids = select(GradingResult.id).where(GradingResult.submission_id.in_(ids))
    db.session.execute(
        update(ResultPart)
        .where(ResultPart.result_id.in_(result_ids))
        .values(message="", manual_comment="")
        .execution_options(synchronize_session=False)
    )
    return sorted(shas)


def delete_notebooks(summary: dict[str, Any]) -> dict[str, Any]:
    """After the commit: delete the blobs ``erase_personal_data`` listed; returns the summary
    with their count instead of the list (a blob already gone counts as deleted)."""
    shas = summary.get("blobs_to_delete", [])
    store = blob_store()
    deleted = sum(_delete_blob(store, sha) for sha in shas)
    rest = {k: v for k, v in summary.items() if k != "blobs_to_delete"}
    return {**rest, "notebooks_deleted": summary.get("notebooks_deleted", 0) + deleted}


def _shared_blobs(user: User, submissions: list[Submission]) -> set[str]:
    """Hashes among the person's notebooks that something else still needs: another
    person's identical submission, or a course release (an unchanged release notebook)."""
    shas = {s.content_sha for s in submissions}
    others = select(Submission.content_sha).where(
        Submission.content_sha.in_(shas), Submission.user_id != user.id
    )
    shared = set(db.session.scalars(others))
    store = blob_store()
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.course_id.in_({s.course_id for s in submissions}))
    )
    for a in assignments:
        shared |= {a.release_tree, a.template_blob} & shas
        try:
            shared |= set(store.read_manifest(a.release_tree).values()) & shas
        except (BlobNotFound, ValueError):
            continue
    return shared


def _delete_blob(store: BlobStore, sha: str) -> int:
    deleter = getattr(store, "delete", None)
    try:
        if callable(deleter):
            deleter(sha)
        elif isinstance(store, LocalBlobStore):
            store.local_path(sha).unlink()
        else:
            logger.error("blob store %s cannot delete; blob kept", type(store).__name__)
            return 0
    except (BlobNotFound, FileNotFoundError):
        return 0  # already gone (an earlier, interrupted run)
    return 1


def end_lab_access(user: User) -> dict[str, str]:
    """After the commit: end the person's hub session, stop their servers and, when the hub
    client can, remove their hub user. Hub trouble is reported, never raised."""
    from lms.hub import get_hub_client, hub_settings
    from lms.hub.accounting import record_stop
    from lms.hub.errors import HubError
    from lms.oidc.claims import hub_username

    if not hub_settings().is_configured:
        return {"lab": "not_configured"}
    hub = get_hub_client()
    try:
        hub.end_session(hub_username(user), stop_servers=True)
        outcome = {"lab": "ended", "lab_files": "operator"}
        remover = getattr(hub, "delete_user", None)
        if callable(remover):
            remover(hub_username(user))
            outcome["lab_files"] = "deleted"
    except HubError as error:
        logger.warning("lab access of user %s not ended: %s", user.id, error.code)
        return {"lab": "failed", "lab_error": str(error.code)}
    record_stop(user, server=None, at=utcnow())
    return outcome
