"""Personal data export: a zip of everything the platform holds about a person.

The zip holds ``README.txt`` (what is inside, Korean and English), ``record.json`` (the
learner record), ``data/<table>.json`` (every row about the person, from
``lms.privacy.inventory``) and ``notebooks/…`` (each submitted notebook as it was submitted).
It is written to ``LMS_PRIVACY_EXPORT_DIR`` under a random name, can be downloaded only by
the person (nobody else, administrators included), and is removed when it expires
(``LMS_PRIVACY_EXPORT_TTL_H``). Small exports are made during the request; larger ones in a
background thread (``flask --app lms privacy process`` finishes any left pending).
Services flush and never commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.services import record as audit
from lms.catalog.models import Course
from lms.db import db, utcnow
from lms.errors import Conflict, DomainError, NotFound
from lms.grading.models import Submission
from lms.privacy.inventory import personal_data
from lms.privacy.models import DataExport, ExportStatus
from lms.privacy.record import learner_record
from lms.privacy.settings import export_dir, setting
from lms.storage import BlobNotFound, blob_store

logger = logging.getLogger(__name__)

README = """\
개인정보 내보내기 / Personal data export

record.json   학습 이력 (소속 기관, 수강, 진도, 성적, 이수, 역량, 자격증명)
              Your learner record (organisations, enrolments, progress, grades,
              completions, skills, credentials)
data/*.json   플랫폼이 보관하는 귀하에 관한 모든 행 (표 이름별)
              Every row the platform keeps about you, one file per table
notebooks/    제출한 노트북 원본 / Your submitted notebooks, as submitted

비밀번호와 토큰은 해시로만 보관되므로 포함되지 않습니다.
Passwords and tokens are only kept as hashes and are not included.
"""


def request_export(user: User) -> DataExport:
    """Start an export of ``user``'s data (pending until ``build_export`` runs). Raises
    ``Conflict`` (``export_pending``) while one is being made and (``export_limit``) after
    ``LMS_PRIVACY_EXPORTS_PER_DAY`` requests in 24 hours. Audited."""
    now = utcnow()
    pending = db.session.scalar(
        select(DataExport.id).where(
            DataExport.user_id == user.id, DataExport.status == ExportStatus.PENDING
        )
    )
    if pending is not None:
        raise Conflict("export_pending", _l("Your previous export is still being prepared."))
    recent = db.session.scalar(
        select(func.count(DataExport.id)).where(
            DataExport.user_id == user.id, DataExport.requested_at > now - timedelta(hours=24)
        )
    )
    if recent >= setting("LMS_PRIVACY_EXPORTS_PER_DAY"):
        raise Conflict(
            "export_limit", _l("You have asked for several exports today. Try again tomorrow.")
        )
    export = DataExport(user=user, status=ExportStatus.PENDING, requested_at=now)
    db.session.add(export)
    db.session.flush()
    audit("privacy.export.request", actor=user, obj=export)
    return export


def is_small(user: User) -> bool:
    """Whether the person's notebooks are small enough to zip during the request."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Submission.size_bytes), 0)).where(
            Submission.user_id == user.id
        )
    )
    return total <= setting("LMS_PRIVACY_EXPORT_INLINE_BYTES")


def build_export(export: DataExport) -> DataExport:
    """Write the zip of a pending export and mark it ready (expiring after
    ``LMS_PRIVACY_EXPORT_TTL_H``), or failed with a reason code. Flushes."""
    if export.status != ExportStatus.PENDING:
        return export
    folder = export_dir()
    name = f"{secrets.token_urlsafe(24)}.zip"
    try:
        size, sha = _write_zip(export.user, folder / name)
    except (OSError, ValueError) as error:
        logger.exception("export %s failed", export.id)
        export.status, export.error = ExportStatus.FAILED, type(error).__name__
        db.session.flush()
        return export
    now = utcnow()
    export.status, export.file_name, export.size_bytes, export.sha256 = (
        ExportStatus.READY,
        name,
        size,
        sha,
    )
    export.ready_at = now
    export.expires_at = now + timedelta(hours=setting("LMS_PRIVACY_EXPORT_TTL_H"))
    db.session.flush()
    return export


def _write_zip(user: User, target: Path) -> tuple[int, str]:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", README)
            archive.writestr("record.json", _json(learner_record(user)))
            for table, rows in personal_data(user).items():
                archive.writestr(f"data/{table}.json", _json(rows))
            _add_notebooks(archive, user)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with target.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return target.stat().st_size, digest.hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _add_notebooks(archive: zipfile.ZipFile, user: User) -> None:
    store = blob_store()
    rows = db.session.scalars(
        select(Submission).where(Submission.user_id == user.id).order_by(Submission.id)
    ).all()
    slugs = dict(db.session.execute(select(Course.id, Course.slug)).all()) if rows else {}
    for s in rows:
        course = slugs.get(s.course_id, str(s.course_id))
        path = f"notebooks/{course}/{s.assignment_name}/attempt-{s.attempt}-{s.notebook_name}"
        try:  # streamed from the file: notebooks can be megabytes each
            source = store.local_path(s.content_sha)
        except BlobNotFound:
            archive.writestr(path + ".missing.txt", "deleted / 삭제됨\n")
            continue
        with source.open("rb") as src, archive.open(path, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def list_exports(user: User) -> list[DataExport]:
    """The person's exports, newest first."""
    stmt = (
        select(DataExport)
        .where(DataExport.user_id == user.id)
        .order_by(DataExport.requested_at.desc(), DataExport.id.desc())
    )
    return list(db.session.scalars(stmt))


def export_file(actor: User, export_id: int) -> tuple[DataExport, Path]:
    """The zip of export ``export_id`` for its owner. Anyone else, administrators included,
    gets ``NotFound``; an expired or unfinished one ``DomainError`` 410/409. Audited."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != actor.id:
        raise NotFound("export_not_found", _l("No such export."))
    now = utcnow()
    if export.status == ExportStatus.PENDING:
        raise Conflict("export_pending", _l("This export is still being prepared."))
    if not export.is_downloadable(now):
        raise DomainError("export_expired", _l("This export has expired. Ask for a new one."), 410)
    path = export_dir() / export.file_name
    if not path.is_file():
        raise DomainError("export_expired", _l("This export has expired. Ask for a new one."), 410)
    audit("privacy.export.download", actor=actor, obj=export)
    return export, path


def remove_export(export: DataExport, status: ExportStatus = ExportStatus.EXPIRED) -> None:
    """Delete an export's file and mark it ``status`` (expired). Flushes nothing."""
    if export.file_name:
        with contextlib.suppress(FileNotFoundError):
            (export_dir() / export.file_name).unlink()
    export.file_name, export.status = None, status


def purge_expired(now: datetime | None = None) -> int:
    """Remove the files of every export past its expiry; returns how many. Flushes."""
    now = now or utcnow()
    stmt = select(DataExport).where(
        DataExport.status == ExportStatus.READY, DataExport.expires_at <= now
    )
    expired = list(db.session.scalars(stmt))
    for export in expired:
        remove_export(export)
    db.session.flush()
    return len(expired)


def pending_exports(older_than_s: float = 0) -> list[DataExport]:
    """Pending exports requested at least ``older_than_s`` seconds ago, oldest first."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    stmt = (
        select(DataExport)
        .where(DataExport.status == ExportStatus.PENDING, DataExport.requested_at <= cutoff)
        .order_by(DataExport.requested_at)
    )
    return list(db.session.scalars(stmt))
