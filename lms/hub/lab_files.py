"""What "Open lab" puts into a learner's server and what "Submit from the lab" reads back:
the assignment's release files (from the course version's release blob) under
``<course slug>/<assignment name>/``, a ``SUBMIT.md`` note linking back to the portal, and
fresh copies that keep the learner's own work as ``<name>-backup-<timestamp>.ipynb``.
Services flush nothing and never commit; hub errors propagate (translated)."""

from __future__ import annotations

import posixpath
import threading

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.db import utcnow
from lms.errors import ValidationError
from lms.hub.base import HubClient, ProgressEvent
from lms.hub.errors import LabFileExists
from lms.hub.services import Placement, place_files
from lms.oidc.claims import hub_username
from lms.publishing.models import Assignment
from lms.storage import blob_store

NOTE_NAME = "SUBMIT.md"

#: The last progress event of a start under way, per user id (read by the progress JSON).
_progress: dict[int, ProgressEvent] = {}
_progress_lock = threading.Lock()


def remember_progress(user_id: int, event: ProgressEvent | None) -> None:
    """Keep (or, with ``None``, forget) the latest progress event of ``user_id``'s start."""
    with _progress_lock:
        if event is None:
            _progress.pop(user_id, None)
        else:
            _progress[user_id] = event


def last_progress(user_id: int) -> ProgressEvent | None:
    """The latest progress event of a start this portal process is running for the user."""
    with _progress_lock:
        return _progress.get(user_id)


def lab_folder(course: Course, assignment: Assignment) -> str:
    """The assignment's folder in the lab: ``<slug>/<name>``."""
    return f"{course.slug}/{assignment.name}"


def notebook_path(course: Course, assignment: Assignment) -> str:
    """The lab path of the assignment's (first) notebook; ``ValidationError`` if it has none."""
    if not assignment.notebooks:
        raise ValidationError("no_notebook", _l("This assignment has no notebook to open."))
    return f"{lab_folder(course, assignment)}/{assignment.notebooks[0]}.ipynb"


def release_files(course: Course, assignment: Assignment) -> dict[str, bytes]:
    """``{lab path: content}`` of the assignment's release tree (notebook and data)."""
    store = blob_store()
    folder = lab_folder(course, assignment)
    manifest = store.read_manifest(assignment.release_tree)
    return {f"{folder}/{rel}": store.get(sha) for rel, sha in sorted(manifest.items())}


def submit_note(assignment_url: str, notebook: str) -> bytes:
    """The ``SUBMIT.md`` text placed next to the notebook (Korean first, then English)."""
    name = posixpath.basename(notebook)
    return (
        "# 제출하기 / How to submit\n\n"
        f"1. `{name}` 을(를) 저장하세요 (Ctrl+S). 파일 이름을 바꾸거나 옮기지 마세요.\n"
        f"2. 포털의 과제 페이지에서 **실습에서 제출** 을 누르세요: <{assignment_url}>\n\n"
        f"1. Save `{name}` (Ctrl+S). Do not rename or move it.\n"
        f"2. Press **Submit from lab** on the portal's assignment page: <{assignment_url}>\n"
    ).encode()


def place_assignment(
    hub: HubClient, user: User, course: Course, assignment: Assignment, assignment_url: str
) -> Placement:
    """Place the release files (existing ones are kept, never overwritten) and refresh the
    ``SUBMIT.md`` note. ``kept`` lists the learner's files that were left alone."""
    placement = place_files(hub, user, release_files(course, assignment))
    note = f"{lab_folder(course, assignment)}/{NOTE_NAME}"
    notebook = notebook_path(course, assignment)
    hub.put_file(hub_username(user), note, submit_note(assignment_url, notebook), overwrite=True)
    return placement


def backup_name(path: str, when=None) -> str:
    """``dir/name.ipynb`` → ``dir/name-backup-YYYYmmdd-HHMMSS.ipynb`` (UTC)."""
    stem, ext = posixpath.splitext(path)
    stamp = (when or utcnow()).strftime("%Y%m%d-%H%M%S")
    return f"{stem}-backup-{stamp}{ext}"


def fresh_copy(hub: HubClient, user: User, course: Course, assignment: Assignment) -> str:
    """Replace the learner's notebook with the release copy after saving theirs as a backup
    (written first, never overwriting anything); returns the backup's path. Raises
    ``ServerNotRunning``, ``LabFileMissing`` (nothing to back up), ``ContentsError``."""
    username = hub_username(user)
    path = notebook_path(course, assignment)
    mine = hub.get_file(username, path)
    backup = backup_name(path)
    try:
        hub.put_file(username, backup, mine.content)
    except LabFileExists:  # two fresh copies within one second: never clobber a backup
        backup = backup_name(path).replace(".ipynb", "-2.ipynb")
        hub.put_file(username, backup, mine.content)
    fresh = release_files(course, assignment)[path]
    hub.put_file(username, path, fresh, overwrite=True)
    return backup
