"""Fixtures for the course-package tests (tests/courses/)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_harness import make_template_gradebook  # noqa: E402


@pytest.fixture(scope="session")
def template_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty nbgrader gradebook, created once and copied into every lab's course root."""
    path = tmp_path_factory.mktemp("gradebook") / "template.db"
    make_template_gradebook(path)
    return path
