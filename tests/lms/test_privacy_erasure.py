"""Deletion on request: the account is anonymised and personal content deleted, while grade
records, their audit trail, completions, credentials and lab accounting are kept."""

# ruff: noqa: F811  (fixtures imported from the support modules are parameters below)

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.accounts.models import ApiToken, Role, SegmentChange, User
from lms.audit.models import AuditEvent
from lms.audit.services import record as audit
from lms.db import db
from lms.grading.models import GradingResult, ResultPart, Submission
from lms.hub import get_hub_client
from lms.hub.models import LabSession
from lms.orgs.models import Membership
from lms.privacy import erasure
from lms.privacy.anonymise import ERASURE_POLICY, is_anonymised
from lms.privacy.inventory import email_tables, subject_tables
from lms.privacy.models import DeletionRequest, DeletionStatus
from lms.privacy.record import optional_module
from lms.publishing.services import current_assignment
from lms.storage import blob_store
from tests.lms.grading_support import release_bytes, solution_bytes
from tests.lms.privacy_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    graded_submission,
    grant_consent,
    history,
    published,
)

SETTINGS = "/settings/privacy"


def _confirm(client, password):
    form = {"password": password, "understood": "y"}
    return client.post(f"{SETTINGS}/deletion/confirm", data=form)


def test_every_table_about_a_person_has_an_erasure_rule(app):
    """A new domain's table with a user_id (or an e-mail) must say what deletion does to it."""
    tables = {t.name for t, _c in subject_tables()} | {t.name for t, _c in email_tables()}
    missing = sorted(tables - set(ERASURE_POLICY))
    assert not missing, f"add these tables to lms.privacy.anonymise.ERASURE_POLICY: {missing}"


def test_deleting_with_the_password_anonymises_and_signs_out(client, login, history, make_token):
    learner, company, _submission = history()
    secret = make_token(learner)
    email = learner.email
    login(client, learner)
    response = _confirm(client, "Correct-horse-9")
    assert response.status_code == 302
    user = db.session.get(User, learner.id)
    assert is_anonymised(user) and user.email != email and "김민지" not in user.name
    assert not user.is_active and user.role == Role.LEARNER
    assert client.get("/dashboard").status_code == 302  # the session no longer logs in
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )
    login_form = {"email": email, "password": "Correct-horse-9"}
    assert "/dashboard" not in client.post("/login", data=login_form).headers.get("Location", "")
    request = db.session.scalars(select(DeletionRequest)).one()
    assert request.status == DeletionStatus.COMPLETED and request.method == "password"


def test_a_wrong_password_deletes_nothing_and_counts_as_a_failed_login(client, login, history):
    learner, _company, _submission = history()
    login(client, learner)
    response = _confirm(client, "wrong-password-1")
    assert response.status_code == 401
    assert 'id="password-error"' in response.get_data(as_text=True)
    user = db.session.get(User, learner.id)
    assert not is_anonymised(user) and user.failed_logins == 1
    assert db.session.scalar(select(func.count(DeletionRequest.id))) == 0


def test_personal_content_is_deleted(client, login, history, make_token):
    learner, company, submission = history()
    make_token(learner)
    has_consent = grant_consent(learner, company)
    store = blob_store()
    assert store.exists(submission.content_sha)
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    uid = learner.id
    assert not store.exists(submission.content_sha)  # the notebook is gone from storage
    for model in (Membership, ApiToken, SegmentChange):
        assert db.session.scalar(select(func.count()).where(model.user_id == uid)) == 0
    if has_consent:
        consent = optional_module("lms.consent.models").Consent
        assert db.session.scalar(select(func.count()).where(consent.user_id == uid)) == 0
    result = db.session.scalar(
        select(GradingResult).where(GradingResult.submission_id == submission.id)
    )
    assert result.feedback_html == "" and result.logs == ""
    parts = db.session.scalars(select(ResultPart).where(ResultPart.result_id == result.id)).all()
    assert parts and all(p.message == "" for p in parts)


def test_e_mails_to_the_person_are_deleted_and_others_kept(client, login, history, make_user):
    from lms.mail.models import OutboundMail
    from lms.mail.outbox import Mail, enqueue

    learner, _company, _submission = history()
    other = make_user()
    for person in (learner, other):
        enqueue(Mail(recipient=person.email, subject="초대", text_body="...", kind="test"))
    db.session.commit()
    address = learner.email
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    recipients = db.session.scalars(select(OutboundMail.recipient)).all()
    assert address not in recipients and other.email in recipients


def test_grade_records_and_their_audit_are_kept(client, login, history):
    learner, _company, submission = history()
    result = db.session.scalar(
        select(GradingResult).where(GradingResult.submission_id == submission.id)
    )
    score, earned = result.score, result.earned
    audit("grade.manual", actor=None, obj=result.parts[0], details={"to": 1})
    db.session.commit()
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    kept = db.session.get(Submission, submission.id)
    assert kept is not None and kept.user_id == learner.id
    result = db.session.get(GradingResult, result.id)
    assert (result.score, result.earned) == (score, earned)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "grade.manual")) == 1
    own = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == learner.id)).all()
    assert own and all(e.ip is None and e.user_agent is None for e in own)
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "privacy.deletion.execute")
        )
        == 1
    )


def test_a_notebook_identical_to_the_release_is_not_deleted(client, login, published, enrolled):
    lab1 = current_assignment(published.course, LAB1)
    blank = release_bytes(lab1)
    learner = enrolled()
    submission = graded_submission(published, learner, blank)
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    assert blob_store().exists(submission.content_sha)  # the course release still needs it
    assert release_bytes(lab1) == blank


def test_a_notebook_another_learner_also_submitted_is_kept(client, login, published, enrolled):
    same = solution_bytes("the same work")
    first, second = enrolled(), enrolled()
    graded_submission(published, first, same)
    kept = graded_submission(published, second, same)
    login(client, first)
    _confirm(client, "Correct-horse-9")
    assert blob_store().exists(kept.content_sha)


def test_lab_access_ends_and_usage_stays_for_accounting(client, login, history):
    learner, _company, _submission = history()
    db.session.add(LabSession(user_id=learner.id, profile="cpu", gpu_share=0.0))
    db.session.commit()
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    assert f"u{learner.id}" in get_hub_client().revoked_sessions
    session = db.session.scalars(select(LabSession).where(LabSession.user_id == learner.id)).one()
    assert session.stopped_at is not None
    request = db.session.scalars(select(DeletionRequest)).one()
    assert request.summary["lab"] == "ended"


def test_an_issued_credential_stays_verifiable_with_its_recipient_name(
    client, login, history, make_user
):
    services = pytest.importorskip("lms.credentials.services")
    verification = pytest.importorskip("lms.credentials.verification")
    completion_models = pytest.importorskip("lms.completion.models")
    learner, _company, submission = history()
    completion = completion_models.Completion(
        user_id=learner.id,
        course_id=submission.course_id,
        confirmed_by_id=make_user(role="instructor").id,
        qualified=True,
    )
    db.session.add(completion)
    db.session.flush()
    credential = services.issue_for_completion(completion)
    db.session.commit()
    assert verification.verify_record(credential).is_valid
    login(client, learner)
    _confirm(client, "Correct-horse-9")
    db.session.expire_all()
    kept = db.session.get(type(credential), credential.id)
    assert kept.recipient_name == "김민지"
    assert verification.verify_record(kept).is_valid
    assert client.get(f"/credentials/{kept.uuid}").status_code == 200


def test_review_flow_request_then_admin_executes(client, login, history, make_user):
    learner, _company, _submission = history()
    admin = make_user(role="admin")
    login(client, learner)
    response = client.post(f"{SETTINGS}/deletion", data={"reason": "졸업했습니다"})
    assert response.status_code == 302
    assert 'data-testid="pending-deletion"' in client.get(SETTINGS).get_data(as_text=True)
    request = db.session.scalars(select(DeletionRequest)).one()
    assert request.status == DeletionStatus.PENDING and not is_anonymised(learner)
    login(client, admin)
    page = client.get("/admin/privacy/deletions").get_data(as_text=True)
    assert learner.email in page and "졸업했습니다" in page
    assert client.post(f"/admin/privacy/deletions/{request.id}/approve").status_code == 302
    db.session.expire_all()
    assert is_anonymised(db.session.get(User, learner.id))
    request = db.session.get(DeletionRequest, request.id)
    assert request.status == DeletionStatus.COMPLETED and request.decided_by_id == admin.id
    assert request.reason == ""  # the person's note is personal too


def test_admin_refuses_with_a_note_the_person_sees(client, login, history, make_user):
    learner, _company, _submission = history()
    admin = make_user(role="admin")
    request = erasure.request_deletion(learner, "")
    db.session.commit()
    login(client, admin)
    url = f"/admin/privacy/deletions/{request.id}/reject"
    assert client.post(url, data={f"r{request.id}-note": ""}).status_code == 422
    client.post(url, data={f"r{request.id}-note": "미납 교육비 정산 후 다시 요청하세요"})
    login(client, learner)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "미납 교육비 정산 후 다시 요청하세요" in page
    assert not is_anonymised(db.session.get(User, learner.id))


def test_the_person_can_withdraw_a_pending_request(client, login, make_user):
    learner = make_user()
    request = erasure.request_deletion(learner)
    db.session.commit()
    other = make_user()
    login(client, other)
    assert client.post(f"{SETTINGS}/deletion/{request.id}/cancel").status_code == 404
    login(client, learner)
    client.post(f"{SETTINGS}/deletion/{request.id}/cancel")
    assert db.session.get(DeletionRequest, request.id).status == DeletionStatus.CANCELLED


def test_only_admins_review_and_never_their_own_request(client, login, make_user):
    learner, admin, other_admin = make_user(), make_user(role="admin"), make_user(role="admin")
    login(client, learner)
    assert client.get("/admin/privacy/deletions").status_code == 403
    request = erasure.request_deletion(admin)
    db.session.commit()
    login(client, admin)
    client.post(f"/admin/privacy/deletions/{request.id}/approve")
    assert db.session.get(DeletionRequest, request.id).status == DeletionStatus.PENDING
    login(client, other_admin)
    client.post(f"/admin/privacy/deletions/{request.id}/approve")
    assert db.session.get(DeletionRequest, request.id).status == DeletionStatus.COMPLETED


def test_the_last_administrator_cannot_be_deleted(client, login, make_user):
    admin = make_user(role="admin")
    login(client, admin)
    response = _confirm(client, "Correct-horse-9")
    assert response.status_code == 409
    assert not is_anonymised(db.session.get(User, admin.id))


def test_cli_erases_on_an_administrators_behalf(app, history, make_user):
    learner, _company, _submission = history()
    admin = make_user(role="admin")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["privacy", "erase", learner.email, "--admin", admin.email, "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert is_anonymised(db.session.get(User, learner.id))
    result = runner.invoke(
        args=["privacy", "erase", "nobody@example.com", "--admin", admin.email, "--yes"]
    )
    assert result.exit_code == 1


def test_a_rolled_back_erasure_keeps_the_notebooks(history, make_user):
    learner, _company, submission = history()
    admin = make_user(role="admin")
    request = erasure.request_deletion(learner)
    db.session.commit()
    erasure.approve_deletion(admin, request.id)
    db.session.rollback()  # e.g. the commit failed
    assert blob_store().exists(submission.content_sha)
    assert not is_anonymised(db.session.get(User, learner.id))


def test_the_command_finishes_an_erasure_interrupted_after_its_commit(app, history, make_user):
    learner, _company, submission = history()
    admin = make_user(role="admin")
    request = erasure.request_deletion(learner)
    db.session.commit()
    erasure.approve_deletion(admin, request.id)
    db.session.commit()  # ... and the process stops before finish_erasure
    assert blob_store().exists(submission.content_sha)
    result = app.test_cli_runner().invoke(args=["privacy", "process"])
    assert "erasures finished: 1" in result.output, result.output
    assert not blob_store().exists(submission.content_sha)
    summary = db.session.get(DeletionRequest, request.id).summary
    assert summary["notebooks_deleted"] == 1 and "blobs_to_delete" not in summary
