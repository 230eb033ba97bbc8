"""Build an nbgrader course with N submissions of an intro-ML lab (numpy/pandas), for benchmarks.

    python bench/build_intro_ml_course.py OUT_DIR [--students 100] [--seed 7]

The lab ``lab1`` has a setup cell, 5 autograded answers with visible and hidden tests (one test
gives partial credit through a numeric result, as nbgrader allows), a locked "training" cell
that does the notebook's own compute (gradient descent on a small dataset), one manually graded
answer, and ships ``data.csv``. Submissions are a reproducible mix: correct, partial (some
answers wrong), erroring (answers that raise), blank (the release untouched) and exactly ONE
infinite loop. The release is made by ``python -m autograder generate`` (nbgrader's own
converter underneath), so both nbgrader and our autograder can grade the course.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ASSIGNMENT = "lab1"
NOTEBOOK = "lab1"
COURSE_ID = "intro-ml"

SOLUTIONS = {
    "standardize": (
        "def standardize(x):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    return (x - x.mean()) / x.std()\n"
    ),
    "load_clean": (
        "def load_clean(path):\n"
        "    df = pd.read_csv(path)\n"
        "    return df.dropna().reset_index(drop=True)\n"
    ),
    "split": (
        "def split(n, test_frac, seed):\n"
        "    idx = np.random.default_rng(seed).permutation(n)\n"
        "    cut = int(round(n * (1 - test_frac)))\n"
        "    return idx[:cut], idx[cut:]\n"
    ),
    "fit_linear": (
        "def fit_linear(X, y):\n"
        "    A = np.column_stack([np.ones(len(X)), X])\n"
        "    w, *_ = np.linalg.lstsq(A, y, rcond=None)\n"
        "    return w\n"
    ),
    "accuracy": (
        "def accuracy(y_true, y_pred):\n"
        "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
        "    return float((y_true == y_pred).mean())\n"
    ),
}

WRONG = {
    "standardize": "def standardize(x):\n    x = np.asarray(x, dtype=float)\n    return x - x.mean()\n",
    "load_clean": "def load_clean(path):\n    return pd.read_csv(path)\n",
    "split": "def split(n, test_frac, seed):\n    idx = np.arange(n)\n    cut = int(n * test_frac)\n    return idx[cut:], idx[:cut]\n",
    "fit_linear": "def fit_linear(X, y):\n    return np.array([1.5, 0.0, 0.0])\n",
    "accuracy": "def accuracy(y_true, y_pred):\n    return float(np.sum(np.asarray(y_true) == np.asarray(y_pred)))\n",
}

TESTS = {
    "standardize": (
        "z = standardize([1.0, 2.0, 3.0, 4.0])\n"
        "assert z.shape == (4,)\n"
        "### BEGIN HIDDEN TESTS\n"
        "np.testing.assert_allclose(z.mean(), 0.0, atol=1e-9)\n"
        "np.testing.assert_allclose(z.std(), 1.0, atol=1e-9)\n"
        "### END HIDDEN TESTS\n"
    ),
    "load_clean": (
        "df = load_clean('data.csv')\n"
        "assert list(df.columns) == ['x1', 'x2', 'y', 'label']\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert len(df) == 190 and not df.isna().any().any()\n"
        "assert df.index[-1] == 189\n"
        "### END HIDDEN TESTS\n"
    ),
    "split": (
        "tr, te = split(100, 0.2, 0)\n"
        "assert len(tr) == 80 and len(te) == 20\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert len(set(tr) | set(te)) == 100\n"
        "assert not np.array_equal(np.sort(tr), tr)\n"
        "### END HIDDEN TESTS\n"
    ),
    # Partial credit: nbgrader scores a numeric result of a test cell as the points earned.
    "fit_linear": (
        "rng = np.random.default_rng(1)\n"
        "X = rng.normal(size=(50, 2))\n"
        "y = 1.5 + X @ np.array([2.0, -1.0])\n"
        "w = fit_linear(X, y)\n"
        "score = 0\n"
        "score += 1 if np.allclose(w[0], 1.5) else 0\n"
        "### BEGIN HIDDEN TESTS\n"
        "score += 1 if np.allclose(w[1:], [2.0, -1.0]) else 0\n"
        "### END HIDDEN TESTS\n"
        "score\n"
    ),
    "accuracy": (
        "assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert accuracy(np.ones(10), np.ones(10)) == 1.0\n"
        "### END HIDDEN TESTS\n"
    ),
}
POINTS = {"standardize": 2, "load_clean": 2, "split": 2, "fit_linear": 2, "accuracy": 2}

TRAINING = (
    "# The lab's own compute: logistic regression by gradient descent (locked).\n"
    "data = pd.read_csv('data.csv').dropna()\n"
    "Xtr = np.column_stack([np.ones(len(data)), data[['x1', 'x2']].to_numpy()])\n"
    "ytr = data['label'].to_numpy(dtype=float)\n"
    "theta = np.zeros(3)\n"
    "for _ in range(30000):\n"
    "    p = 1.0 / (1.0 + np.exp(-Xtr @ theta))\n"
    "    theta -= 0.1 * Xtr.T @ (p - ytr) / len(ytr)\n"
    "print('train accuracy', round(float(((p > 0.5) == ytr).mean()), 3))\n"
)


def _meta(grade_id: str, **flags: object) -> dict:
    base = {"grade": False, "solution": False, "locked": False, "task": False}
    base.update(flags)
    return {"nbgrader": {**base, "grade_id": grade_id, "schema_version": 3}}


def _code(source: str, meta: dict | None = None) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": meta or {}, "outputs": []}
    cell["source"] = source
    return cell


def _markdown(source: str, meta: dict | None = None) -> dict:
    return {"cell_type": "markdown", "metadata": meta or {}, "source": source}


def source_notebook() -> dict:
    """The instructor's nbgrader source notebook (solutions and hidden tests included)."""
    cells = [
        _markdown("# Lab 1: first steps in machine learning\nAnswer each question below."),
        _code("import numpy as np\nimport pandas as pd\n", _meta("setup", locked=True)),
    ]
    for name, solution in SOLUTIONS.items():
        stub = f"### BEGIN SOLUTION\n{solution}### END SOLUTION\n"
        cells.append(_code(stub, _meta(f"{name}_answer", solution=True)))
        cells.append(
            _code(TESTS[name], _meta(f"{name}_test", grade=True, locked=True, points=POINTS[name]))
        )
    cells.append(_code(TRAINING, _meta("training", locked=True)))
    cells.append(_markdown("Explain overfitting in two sentences."))
    cells.append(
        _markdown(
            "### BEGIN SOLUTION\nThe model memorises noise in the training data.\n"
            "### END SOLUTION\n",
            _meta("overfitting", solution=True, grade=True, points=2),
        )
    )
    kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {
        "cells": cells,
        "metadata": {"kernelspec": kernelspec, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_data(path: Path, seed: int = 0) -> None:
    """200 rows, 10 with a missing value (load_clean must drop them: 190 remain)."""
    rng = random.Random(seed)
    lines = ["x1,x2,y,label"]
    for i in range(200):
        x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
        label = int(x1 - 0.5 * x2 + rng.gauss(0, 0.5) > 0)
        y = "" if i % 20 == 7 else f"{1.5 + 2 * x1 - x2:.4f}"
        lines.append(f"{x1:.4f},{x2:.4f},{y},{label}")
    path.write_text("\n".join(lines) + "\n")


def student_mix(n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """(kind, {answer name: source}) per student: correct/partial/erroring/blank, one loop."""
    rng = random.Random(seed)
    names = list(SOLUTIONS)
    mix: list[tuple[str, dict[str, str]]] = []
    for i in range(n):
        if i == n // 2:
            answers = dict(SOLUTIONS)
            answers["split"] = "def split(n, test_frac, seed):\n    while True:\n        pass\n"
            mix.append(("infinite_loop", answers))
            continue
        roll = rng.random()
        if roll < 0.45:
            mix.append(("correct", dict(SOLUTIONS)))
        elif roll < 0.70:
            wrong = rng.sample(names, rng.randint(1, 3))
            mix.append(
                ("partial", {k: WRONG[k] if k in wrong else v for k, v in SOLUTIONS.items()})
            )
        elif roll < 0.85:
            broken = rng.sample(names, rng.randint(1, 2))
            errs = {k: f"def {k}(*args):\n    raise ValueError('not done')\n" for k in broken}
            mix.append(("erroring", {**SOLUTIONS, **errs}))
        else:
            mix.append(("blank", {}))
    return mix


def build(root: Path, students: int = 100, seed: int = 7) -> dict[str, str]:
    """Create the course under ``root``; return {student id: submission kind}."""
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
    )
    (source / f"{NOTEBOOK}.ipynb").write_text(json.dumps(source_notebook(), indent=1))
    write_data(source / "data.csv")
    subprocess.run(
        [sys.executable, "-m", "autograder", "generate", str(root), ASSIGNMENT],
        check=True,
        capture_output=True,
    )
    release = json.loads((root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text())
    kinds: dict[str, str] = {}
    for i, (kind, answers) in enumerate(student_mix(students, seed)):
        student = f"s{i:03d}"
        kinds[student] = kind
        target = root / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{NOTEBOOK}.ipynb").write_text(json.dumps(_answered(release, answers)))
        (target / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
    (root / "kinds.json").write_text(json.dumps(kinds, indent=1))
    return kinds


def _answered(release: dict, answers: dict[str, str]) -> dict:
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        name = grade_id.removesuffix("_answer")
        if grade_id.endswith("_answer") and name in answers:
            cell["source"] = answers[name]
        if grade_id == "overfitting" and answers:
            cell["source"] = "A model that fits noise does badly on new data."
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    kinds = build(args.out, args.students, args.seed)
    counts = {k: list(kinds.values()).count(k) for k in sorted(set(kinds.values()))}
    print(f"course {args.out}: {len(kinds)} submissions {counts}")


if __name__ == "__main__":
    main()
