"""Fixtures for the autograder core tests: small nbgrader courses and executor doubles.

``InProcessExecutor`` is a test double registered like a real backend would be: it runs each
cell with ``exec`` in one fresh namespace per job and reports nbformat outputs (stdout, stderr,
the last expression as ``execute_result``, errors). It has no sandbox and is only used by
tests; parity tests use the real executor.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autograder.contract import Job, Limits
from autograder.execute import CellRun, Execution, Executor

FILES = Path(__file__).parent / "files"
NBGRADER_FILES = Path(__import__("nbgrader").__file__).parent / "tests" / "apps" / "files"


class InProcessExecutor(Executor):
    """Runs cells in-process with ``exec``; ``script`` overrides the outcome per cell id."""

    name = "test-inprocess"
    sandboxed = False

    def __init__(self, script: dict[str, Any] | None = None, status: str = "ok") -> None:
        self.script = script or {}
        self.status = status
        self.calls: list[list[Any]] = []

    def run(self, cells, *, workdir, limits, resource_class="cpu", gpu_device=None):
        self.calls.append(list(cells))
        namespace: dict[str, Any] = {"__name__": "__main__"}
        runs = []
        stopped = False
        for cell in cells:
            if stopped:
                runs.append(CellRun(cell.cell_id, "not_run"))
                continue
            if cell.cell_id in self.script:
                run = self.script[cell.cell_id]
                runs.append(CellRun(cell.cell_id, **run) if isinstance(run, dict) else run)
                stopped = runs[-1].status in ("killed",)
                continue
            runs.append(_exec_cell(cell.cell_id, cell.source, namespace, workdir))
        return Execution(status=self.status, cells=runs, flags=[], log="", timings={"run": 0.0})


def _exec_cell(cell_id: str, source: str, ns: dict[str, Any], workdir: Path) -> CellRun:
    out, err = io.StringIO(), io.StringIO()
    outputs: list[dict[str, Any]] = []
    try:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _chdir(workdir):
            exec(compile(tree, cell_id, "exec"), ns)
            value = eval(compile(ast.Expression(last.value), cell_id, "eval"), ns) if last else None
    except Exception as exc:
        _streams(outputs, out, err)
        error = {
            "ename": type(exc).__name__,
            "evalue": str(exc),
            "traceback": traceback.format_exception_only(exc),
        }
        outputs.append({"output_type": "error", **error})
        return CellRun(cell_id, "error", outputs, error, 0.0)
    _streams(outputs, out, err)
    if value is not None:
        outputs.append(
            {
                "output_type": "execute_result",
                "data": {"text/plain": repr(value)},
                "metadata": {},
                "execution_count": 1,
            }
        )
    return CellRun(cell_id, "ok", outputs, None, 0.0)


@contextlib.contextmanager
def _chdir(path: Path):
    with contextlib.chdir(path):
        yield


def _streams(outputs: list[dict], out: io.StringIO, err: io.StringIO) -> None:
    for name, buf in (("stdout", out), ("stderr", err)):
        if buf.getvalue():
            outputs.append({"output_type": "stream", "name": name, "text": buf.getvalue()})


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
        return Job(
            job_id=kw.pop("job_id", "j1"),
            assignment=kw.pop("assignment", "lab"),
            notebook_name="lab.ipynb",
            release_dir=str(generated / "release" / "lab"),
            template_path=str(generated / "autograder" / "lab" / "template.json"),
            submission_path=str(path),
            limits=kw.pop("limits", Limits(cell_timeout_s=5)),
            **kw,
        )

    return make


def release_notebook(course: Path, assignment: str = "lab", name: str = "lab") -> dict:
    return json.loads((course / "release" / assignment / f"{name}.ipynb").read_text())


def answer(nb: dict, grade_id: str, source: str) -> dict:
    """Return a copy of ``nb`` with the answer cell ``grade_id`` replaced by ``source``."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
            return nb
    raise KeyError(grade_id)
