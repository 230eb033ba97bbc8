"""A one-question nbgrader lab shared by the dispatch tests (local pool, spool, Celery)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORRECT = "def double(x):\n    return 2 * x\n"


def source_notebook() -> dict:
    def cell(source: str, grade_id: str, **flags: object) -> dict:
        meta = {"grade": False, "solution": False, "locked": False, "task": False, **flags}
        meta.update(grade_id=grade_id, schema_version=3)
        return {"cell_type": "code", "execution_count": None, "outputs": [],
                "metadata": {"nbgrader": meta}, "source": source}  # fmt: skip

    return {
        "cells": [
            cell(f"### BEGIN SOLUTION\n{CORRECT}### END SOLUTION\n", "answer", solution=True),
            cell("assert double(2) == 4\n", "test_double", grade=True, locked=True, points=1),
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },  # fmt: skip
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def generate_lab(root: Path) -> Path:
    """Write and generate an nbgrader course with one assignment ``lab`` (release + template)."""
    (root / "source" / "lab").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'd'\n"
    )
    (root / "source" / "lab" / "lab.ipynb").write_text(json.dumps(source_notebook()))
    subprocess.run([sys.executable, "-m", "autograder", "generate", str(root), "lab"], check=True,
                   capture_output=True)  # fmt: skip
    return root
