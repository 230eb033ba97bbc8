"""Helpers for the autograder core tests: the executor double and notebook helpers.

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
import os
import traceback
from pathlib import Path
from typing import Any

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
        saved = dict(os.environ)  # cells may set variables (NBGRADER_EXECUTION): keep ours clean
        try:
            return self._run(cells, workdir)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def _run(self, cells, workdir):
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
