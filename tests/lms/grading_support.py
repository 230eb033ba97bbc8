"""Shared fixtures of the publishing and grading tests (imported by those modules).

Publishing runs nbgrader's release in a child process (seconds); the tests memoise it per
``source/`` folder content, so a package with a changed ``course.toml`` still makes a new
version but is released only once per session. The real release path is exercised once per
session (the first publish) and by tests/integration/test_grading_e2e.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from lms.db import db
from lms.publishing import services as publishing
from lms.publishing.loader import package_hash
from lms.storage import blob_store

COURSES = Path(__file__).resolve().parents[2] / "courses"
PACKAGE = COURSES / "ai-foundations"
LAB1 = "lab01-python-numpy"
LAB1_SOURCE = PACKAGE / "source" / LAB1 / "python_numpy.ipynb"
_RELEASES: dict[str, dict] = {}
_real_release = publishing.release_assignments


_SHARED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def blob_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One store for every module that imports this fixture, so releases are made once.
    if "blobs" not in _SHARED:
        _SHARED["blobs"] = tmp_path_factory.mktemp("blobs")
    return _SHARED["blobs"]


@pytest.fixture
def app_config(blob_dir: Path, tmp_path: Path) -> dict:
    return {
        "LMS_BLOB_DIR": str(blob_dir),
        "LMS_GRADING_BACKEND": "fake",
        "LMS_GRADING_SPOOL_DIR": str(tmp_path / "spool"),
    }


def _memo_release(package, store):
    key = f"{getattr(store, 'root', '')}:{package_hash(package.path / 'source')}"
    if key not in _RELEASES:
        _RELEASES[key] = _real_release(package, store)
    return _RELEASES[key]


@pytest.fixture(autouse=True)
def fast_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publishing, "release_assignments", _memo_release)


@pytest.fixture
def package_copy(tmp_path: Path):
    """``package_copy(edit=None)`` → a copy of ai-foundations; ``edit(text) -> text``
    rewrites its course.toml."""

    def factory(edit=None) -> Path:
        target = tmp_path / "pkg" / PACKAGE.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(PACKAGE, target)
        if edit is not None:
            toml = target / "course.toml"
            toml.write_text(edit(toml.read_text(encoding="utf-8")), encoding="utf-8")
        return target

    return factory


@pytest.fixture
def published(app):
    """ai-foundations published (committed); returns its CourseVersion."""
    version, _created = publishing.publish(None, PACKAGE)
    db.session.commit()
    return version


@pytest.fixture
def enrolled(published, make_user, make_cohort, make_enrollment):
    """``enrolled(started_days_ago=3)`` → a learner enrolled in a cohort of ai-foundations
    that started that many days ago (lab01 open and not yet due by default)."""

    def factory(started_days_ago: int = 3, user=None):
        course = published.course
        cohort = make_cohort(course, starts_on=date.today() - timedelta(days=started_days_ago))
        learner = user or make_user()
        make_enrollment(learner, course, cohort=cohort)
        return learner

    return factory


def solution_bytes(marker: str = "") -> bytes:
    """The model solution of lab01 (the source notebook), optionally with a marker cell so
    that contents differ."""
    notebook = json.loads(LAB1_SOURCE.read_text(encoding="utf-8"))
    if marker:
        notebook["cells"].append(
            {"cell_type": "markdown", "metadata": {}, "source": marker, "id": f"m{len(marker)}"}
        )
    return json.dumps(notebook).encode()


def release_bytes(assignment) -> bytes:
    """The released (blank) lab notebook of ``assignment`` from the blob store."""
    tree = blob_store().tree_path(assignment.release_tree)
    return (tree / f"{assignment.notebooks[0]}.ipynb").read_bytes()
