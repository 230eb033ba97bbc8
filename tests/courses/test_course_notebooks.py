"""Source notebooks: valid nbformat 4, nbgrader rules, Korean instructions, reproducible build."""

from __future__ import annotations

import ast
import re
import sys

import nbformat
import pytest
from check_courses import course_dirs
from course_harness import COURSES
from nbchecks import check_notebook

NOTEBOOKS = sorted(p for d in course_dirs() for p in (d / "source").glob("*/*.ipynb"))
IDS = [str(p.relative_to(COURSES)) for p in NOTEBOOKS]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _cells(path, grade, solution):
    nb = nbformat.read(path, as_version=4)
    return [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade", False) is grade
        and c.metadata.get("nbgrader", {}).get("solution", False) is solution
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_valid_nbformat4_and_follows_the_nbgrader_rules(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    assert check_notebook(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_hidden_tests_and_a_manual_reflection(path):
    tests = _cells(path, grade=True, solution=False)
    assert any("### BEGIN HIDDEN TESTS" in c.source for c in tests)
    manual = _cells(path, grade=True, solution=True)
    assert [c.cell_type for c in manual] == ["markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_clean_with_korean_instructions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    locked_md = [
        c for c in nb.cells if c.cell_type == "markdown" and c.metadata["nbgrader"]["locked"]
    ]
    assert locked_md and HANGUL.search(locked_md[0].source)


def test_committed_notebooks_match_their_specs(capsys):
    sys.path.insert(0, str(COURSES / "_tools"))
    import build_notebooks

    assert build_notebooks.main(["--check"]) == 0, capsys.readouterr().err
    assert len(build_notebooks.load_specs()) == len(NOTEBOOKS)


def _backend_cell():
    path = COURSES / "quality-inspection/source/lab03-gpu-cnn/cnn_gpu.ipynb"
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "backend")


def _detect(monkeypatch, tmp_path, *, fake_torch: bool, force_numpy: bool):
    if fake_torch:  # a stand-in package: only find_spec and torch.cuda.is_available are used
        (tmp_path / "torch").mkdir()
        (tmp_path / "torch" / "__init__.py").write_text(
            "class cuda:\n    @staticmethod\n    def is_available():\n        return False\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "torch", raising=False)
    if force_numpy:
        monkeypatch.setenv("LAB_FORCE_NUMPY", "1")
    else:
        monkeypatch.delenv("LAB_FORCE_NUMPY", raising=False)
    namespace: dict = {}
    try:
        exec(_backend_cell(), namespace)
    finally:
        if fake_torch:
            sys.modules.pop("torch", None)
    return namespace["BACKEND"], namespace["DEVICE"]


@pytest.mark.parametrize(
    ("fake_torch", "force_numpy", "expected"),
    [
        (True, False, ("torch", "cpu")),
        (True, True, ("numpy", "cpu")),
    ],
)
def test_gpu_lab_picks_its_backend(monkeypatch, tmp_path, fake_torch, force_numpy, expected):
    assert (
        _detect(monkeypatch, tmp_path, fake_torch=fake_torch, force_numpy=force_numpy) == expected
    )


def test_gpu_lab_falls_back_to_numpy_without_torch(monkeypatch, tmp_path):
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed here; the fallback is covered by LAB_FORCE_NUMPY")
    assert _detect(monkeypatch, tmp_path, fake_torch=False, force_numpy=False) == ("numpy", "cpu")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_imports_only_numpy_pandas_and_the_stdlib(path):
    allowed = set(sys.stdlib_module_names) | {"numpy", "pandas"}
    gpu_lab = path.parent.name == "lab03-gpu-cnn"
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or (gpu_lab and top == "torch"), f"{path.name} imports {name}"
