"""Fixtures for the autograder core tests: small generated nbgrader courses and jobs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograder.contract import Job, Limits
from tests.autograder.ag_support import FILES


@pytest.fixture
def make_course(tmp_path: Path) -> Callable[..., Path]:
    """Create an nbgrader course with ``source/<assignment>/`` from notebooks and files."""

    def make(notebooks: dict[str, Path], assignment: str = "ps1", data: list[Path] = ()) -> Path:
        root = tmp_path / "course"
        src = root / "source" / assignment
        src.mkdir(parents=True, exist_ok=True)
        for name, path in notebooks.items():
            shutil.copy(path, src / f"{name}.ipynb")
        for path in data:
            shutil.copy(path, src / path.name)
        (root / "nbgrader_config.py").write_text(
            "c = get_config()\nc.CourseDirectory.course_id = 'ml101'\n"
        )
        return root

    return make


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """A course generated once per session from files/lab.ipynb (read-only for tests)."""
    from autograder.template import generate

    root = tmp_path_factory.mktemp("gen") / "course"
    (root / "source" / "lab").mkdir(parents=True)
    shutil.copy(FILES / "lab.ipynb", root / "source" / "lab" / "lab.ipynb")
    shutil.copy(FILES / "numbers.csv", root / "source" / "lab" / "numbers.csv")
    generate(root, "lab")
    return root


@pytest.fixture
def job_for(generated: Path, tmp_path: Path) -> Callable[..., Job]:
    """A Job grading a submission of the generated lab (a notebook dict or a file path)."""

    def make(submission: dict | Path | str, **kw: Any) -> Job:
        if isinstance(submission, dict):
            path = tmp_path / f"sub-{len(list(tmp_path.iterdir()))}.ipynb"
            path.write_text(json.dumps(submission))
        else:
            path = Path(submission)
        fields = {
            "job_id": "j1",
            "assignment": "lab",
            "notebook_name": "lab.ipynb",
            "release_dir": str(generated / "release" / "lab"),
            "template_path": str(generated / "autograder" / "lab" / "template.json"),
            "submission_path": str(path),
            "limits": Limits(cell_timeout_s=5),
        }
        return Job(**(fields | kw))

    return make
