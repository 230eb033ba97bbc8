"""Personal data export: a zip of everything kept about the person, made at once or in the
background, downloadable only by them, removed when it expires."""

# ruff: noqa: F811  (fixtures imported from the support modules are parameters below)

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.privacy import background, export
from lms.privacy.models import DataExport, ExportStatus
from lms.privacy.record import optional_module
from lms.privacy.settings import export_dir
from lms.storage import blob_store
from tests.lms.privacy_support import (  # noqa: F401  (fixtures)
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    grant_consent,
    history,
    published,
)

SETTINGS = "/settings/privacy"


def _export_zip(client, login, user) -> tuple[DataExport, zipfile.ZipFile]:
    login(client, user)
    assert client.post(f"{SETTINGS}/exports").status_code == 302
    item = db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)).one()
    response = client.get(f"{SETTINGS}/exports/{item.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return item, zipfile.ZipFile(io.BytesIO(response.data))


def test_the_zip_holds_the_record_the_data_and_the_notebooks(client, login, history, make_token):
    learner, _company, submission = history()
    make_token(learner)
    _item, archive = _export_zip(client, login, learner)
    names = set(archive.namelist())
    assert {"README.txt", "record.json", "data/users.json", "data/enrollments.json"} <= names
    assert json.loads(archive.read("record.json"))["person"]["name"] == "김민지"
    notebook = next(n for n in names if n.startswith("notebooks/ai-foundations/"))
    assert archive.read(notebook) == blob_store().get(submission.content_sha)
    results = json.loads(archive.read("data/grading_results.json"))
    assert [r["submission_id"] for r in results] == [submission.id]
    assert json.loads(archive.read("data/memberships.json"))[0]["user_id"] == learner.id


def test_the_zip_never_holds_password_or_token_hashes(client, login, history, make_token):
    learner, _company, _submission = history()
    secret = make_token(learner)
    _item, archive = _export_zip(client, login, learner)
    (user,) = json.loads(archive.read("data/users.json"))
    assert "password_hash" not in user and user["email"] == learner.email
    tokens = json.loads(archive.read("data/api_tokens.json"))
    assert tokens and all("token_sha256" not in t for t in tokens)
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert secret.encode() not in everything and learner.password_hash.encode() not in everything


def test_the_zip_holds_consents_access_log_and_audit_entries(client, login, history):
    learner, company, _submission = history()
    has_consent = grant_consent(learner, company)
    services = optional_module("lms.consent.services")
    if services is not None and hasattr(services, "record_access"):
        services.record_access(None, company, [learner.id], [], "page")
        db.session.commit()
    _item, archive = _export_zip(client, login, learner)
    names = set(archive.namelist())
    audit = json.loads(archive.read("data/audit_events.json"))
    assert any(e["action"] == "user.create" for e in audit)
    if has_consent:
        assert "data/consents.json" in names
    if services is not None and hasattr(services, "record_access"):
        assert "data/org_data_accesses.json" in names


def test_access_log_entries_in_the_zip_do_not_name_the_other_members_seen(
    client, login, history, make_user
):
    from lms.consent.services import record_access

    learner, company, _submission = history()
    others = [make_user() for _ in range(3)]
    record_access(None, company, [learner.id, *(o.id for o in others)], [], "export")
    record_access(None, company, [o.id for o in others], [], "page")  # not about the learner
    db.session.commit()
    _item, archive = _export_zip(client, login, learner)
    (entry,) = json.loads(archive.read("data/org_data_accesses.json"))
    assert entry["via"] == "export" and entry["subject_count"] == 4
    assert "subject_ids" not in entry


def test_only_the_person_can_download_not_even_an_admin(client, login, history, make_user):
    learner, _company, _submission = history()
    item, _archive = _export_zip(client, login, learner)
    for other in (make_user(), make_user(role="admin")):
        login(client, other)
        assert client.get(f"{SETTINGS}/exports/{item.id}/download").status_code == 404
    downloads = select(AuditEvent).where(AuditEvent.action == "privacy.export.download")
    assert len(db.session.scalars(downloads).all()) == 1


def test_an_expired_export_is_gone(client, login, history):
    learner, _company, _submission = history()
    item, _archive = _export_zip(client, login, learner)
    path = export_dir() / item.file_name
    assert path.is_file()
    assert export.purge_expired(utcnow() + timedelta(hours=73)) == 1
    db.session.commit()
    assert not path.exists()
    assert db.session.get(DataExport, item.id).status == ExportStatus.EXPIRED
    assert client.get(f"{SETTINGS}/exports/{item.id}/download").status_code == 410


def test_a_large_export_is_made_in_the_background(app, client, login, history, monkeypatch):
    learner, _company, _submission = history()
    started = []
    monkeypatch.setattr(background.threading.Thread, "start", lambda self: started.append(self))
    app.config["LMS_PRIVACY_EXPORT_INLINE_BYTES"] = 0
    login(client, learner)
    client.post(f"{SETTINGS}/exports")
    item = db.session.scalars(select(DataExport)).one()
    assert item.status == ExportStatus.PENDING and len(started) == 1
    assert 'data-testid="download-export"' not in client.get(SETTINGS).get_data(as_text=True)
    started[0].run()  # what the thread does, here in the test's thread
    db.session.expire_all()
    assert db.session.get(DataExport, item.id).status == ExportStatus.READY


def test_the_command_finishes_pending_exports(app, history):
    learner, _company, _submission = history()
    item = export.request_export(learner)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "process", "--older-than", "0"])
    assert result.exit_code == 0 and "exports built: 1" in result.output
    db.session.expire_all()
    assert db.session.get(DataExport, item.id).status == ExportStatus.READY


def test_too_many_exports_in_a_day_are_refused(app, client, login, make_user):
    app.config["LMS_PRIVACY_EXPORTS_PER_DAY"] = 1
    learner = make_user()
    login(client, learner)
    client.post(f"{SETTINGS}/exports")
    client.post(f"{SETTINGS}/exports")
    assert len(db.session.scalars(select(DataExport)).all()) == 1
