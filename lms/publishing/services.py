"""Publishing a course package: validate, release with the autograder, store a version.

``publish`` flushes and never commits; the CLI command (or upload view) commits once.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from autograder.course_dir import template_path
from lms.accounts.models import Role, User
from lms.admin import services as admin
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import Forbidden, NotFound
from lms.publishing.loader import Package, PackageInvalid, load_package
from lms.publishing.models import Assignment, CourseVersion
from lms.storage import BlobStore, blob_store

log = logging.getLogger(__name__)


def publish(actor: User | None, path: str | Path) -> tuple[CourseVersion, bool]:
    """Publish the package at ``path``; returns ``(version, created)``.

    ``actor`` None is the command line (trusted); otherwise admins, the instructors of an
    existing course, or any instructor for a new course (who then teaches it). Raises
    ``PackageInvalid`` (every problem with file, location, message), ``Forbidden``.
    An unchanged package (same content hash as a stored version) is a no-op:
    ``created`` is False. Otherwise the autograder releases every assignment, the release
    and template go to the blob store, and a new immutable ``CourseVersion`` is added; the
    catalogue course is created or updated from the metadata. Flushes, never commits.
    """
    known = set(db.session.scalars(select(Course.slug)))
    package = load_package(path, known)
    course = db.session.scalar(select(Course).where(Course.slug == package.slug))
    _check_may_publish(actor, course)
    if course is not None:
        existing = db.session.scalar(
            select(CourseVersion).where(
                CourseVersion.course_id == course.id,
                CourseVersion.content_hash == package.content_hash,
            )
        )
        if existing is not None:
            return existing, False
    released = release_assignments(package, blob_store())
    course = _upsert_course(actor, course, package.meta)
    version = _store_version(actor, course, package, released)
    # The package's [[skills]] become the course's skill mappings (the actor is checked above).
    from lms.skills.mapping import sync_course  # skills reads versions from this module

    sync_course(None, course)
    record(
        "course.publish",
        actor=actor,
        obj=version,
        details={"course": course.slug, "version": version.number},
    )
    return version, True


def _check_may_publish(actor: User | None, course: Course | None) -> None:
    if actor is None or actor.role == Role.ADMIN:
        return
    if course is None and actor.role == Role.INSTRUCTOR:
        return
    if course is not None and can_manage_course(actor, course):
        return
    raise Forbidden("cannot_publish", _l("You may not publish this course."))


# generate runs in a child interpreter: nbgrader changes the working directory and keeps
# process-global traitlets state, which must not leak into a portal worker; one child
# releases every assignment so nbgrader is imported once.
_GENERATE = """
import sys
from autograder.course_dir import CourseError
from autograder.template import generate
for name in sys.argv[2:]:
    try:
        generate(sys.argv[1], name)
    except (CourseError, ValueError) as exc:
        print(f"{name}\\t{exc}", file=sys.stderr)
        sys.exit(2)
"""
GENERATE_TIMEOUT_S = 600


def release_assignments(package: Package, store: BlobStore) -> dict[str, dict[str, Any]]:
    """Run the autograder's ``generate`` on a scratch copy of the package; store each
    release (a tree) and template. Returns ``{name: {release_tree, template_blob,
    notebooks}}``. Raises ``PackageInvalid`` naming the assignment when nbgrader refuses it."""
    names = [item["name"] for item in package.meta["assignments"]]
    with tempfile.TemporaryDirectory(prefix="lms-publish-") as scratch:
        root = Path(scratch) / package.slug
        shutil.copytree(package.path, root, symlinks=True)
        _generate(root, names, package.slug)
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            release = root / "release" / name
            out[name] = {
                "release_tree": store.put_tree(release),
                "template_blob": store.put(template_path(root, name).read_bytes()),
                "notebooks": sorted(p.stem for p in release.glob("*.ipynb")),
            }
    return out


def _generate(root: Path, names: list[str], slug: str) -> None:
    import autograder

    command = [sys.executable, "-c", _GENERATE, str(root), *names]
    where_autograder = str(Path(autograder.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [where_autograder, os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_S,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    if proc.returncode == 0:
        return
    name, _, message = (proc.stderr.strip().splitlines() or ["?"])[-1].partition("\t")
    log.warning("generate failed for %s: %s", slug, proc.stderr[-4000:])
    where = f"{slug}/source/{name}: (release)" if message else f"{slug}: (release)"
    raise PackageInvalid([f"{where}: {message or name}"])


def _course_fields(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "title_ko": meta["title"]["ko"].strip(),
        "title_en": meta["title"]["en"].strip(),
        "description_ko": meta["description"]["ko"].strip(),
        "description_en": meta["description"]["en"].strip(),
        "track": meta["track"],
        "level": meta["level"],
        "skills": [skill["code"] for skill in meta["skills"]],
        "needs_gpu": meta["gpu"] != "none",
    }


def _upsert_course(actor: User | None, course: Course | None, meta: dict[str, Any]) -> Course:
    fields = _course_fields(meta)
    prerequisites = [
        db.session.scalar(select(Course).where(Course.slug == slug))
        for slug in meta.get("prerequisites", [])
    ]
    if course is None:
        instructors = [actor] if actor is not None and actor.role == Role.INSTRUCTOR else []
        return admin.create_course(
            None,
            meta["slug"],
            is_published=True,
            instructors=instructors,
            prerequisites=prerequisites,
            **fields,
        )
    return admin.update_course(None, course, prerequisites=prerequisites, **fields)


def _store_version(
    actor: User | None, course: Course, package: Package, released: dict[str, dict[str, Any]]
) -> CourseVersion:
    number = (
        db.session.scalar(
            select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
        )
        or 0
    ) + 1
    version = CourseVersion(
        course=course,
        number=number,
        content_hash=package.content_hash,
        package_meta=package.meta,
        published_by_id=getattr(actor, "id", None),
    )
    course_gpu = package.meta["gpu"]
    for position, item in enumerate(package.meta["assignments"], start=1):
        version.assignments.append(_assignment(course, item, position, course_gpu, released))
    db.session.add(version)
    db.session.flush()
    return version


def _assignment(
    course: Course, item: dict[str, Any], position: int, course_gpu: str, released: dict
) -> Assignment:
    late, attempts = item["late_policy"], item["attempts"]
    gpu = item.get("gpu", course_gpu)
    return Assignment(
        course_id=course.id,
        name=item["name"],
        position=position,
        title_ko=item["title"]["ko"],
        title_en=item["title"]["en"],
        kind=item.get("kind", "lab"),
        points=float(item["points"]),
        # "optional" GPU labs still run on CPU: grade them on the cpu queue.
        resource_class="gpu" if gpu == "required" else "cpu",
        schedule=dict(item["schedule"]),
        grace_minutes=int(late["grace_minutes"]),
        penalty_percent=float(late["penalty_percent"]),
        penalty_period=late["penalty_period"],
        floor_percent=float(late["floor_percent"]),
        cutoff_after_hours=late.get("cutoff_after_hours"),
        max_attempts=attempts.get("max"),
        counts=attempts["counts"],
        **released[item["name"]],
    )


def current_version(course: Course) -> CourseVersion | None:
    """The latest published version of ``course``, or None if it was never published."""
    return db.session.scalar(
        select(CourseVersion)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number.desc())
        .limit(1)
    )


def current_assignment(course: Course, name: str) -> Assignment:
    """The assignment ``name`` of the course's latest version; ``NotFound``
    (``assignment_not_found``) if there is none."""
    version = current_version(course)
    found = next((a for a in version.assignments if a.name == name), None) if version else None
    if found is None:
        raise NotFound(
            "assignment_not_found", _l("This course has no assignment %(name)s.", name=name)
        )
    return found
