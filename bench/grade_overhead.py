"""Per-submission Python overhead of ``autograder.grading.grade`` without running any code.

Builds a small nbgrader course from ``tests/autograder/files/lab.ipynb`` (9 graded/locked
cells, hidden tests, a data file), then grades the same submission N times with an executor
that runs nothing (every cell "ok", no outputs), so what is measured is only our work: reading
the template and the submission, rebuilding the notebook, preparing the workdir, scoring,
feedback HTML and (optionally) writing the autograded notebook.

    .venv/bin/python bench/grade_overhead.py [N]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.contract import Job  # noqa: E402
from autograder.execute import CellRun, Execution, Executor  # noqa: E402
from autograder.grading import grade  # noqa: E402
from autograder.template import generate  # noqa: E402

FILES = ROOT / "tests" / "autograder" / "files"


class NullExecutor(Executor):
    """Runs nothing: every cell succeeds silently."""

    name = "null"

    def run(self, cells, *, workdir, limits, resource_class="cpu", gpu_device=None):
        return Execution("ok", [CellRun(c.cell_id, "ok") for c in cells], [], "", {})


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        (course / "source" / "lab").mkdir(parents=True)
        shutil.copy(FILES / "lab.ipynb", course / "source" / "lab")
        shutil.copy(FILES / "numbers.csv", course / "source" / "lab")
        generate(course, "lab")
        sub = Path(tmp) / "sub.ipynb"
        sub.write_text((course / "release" / "lab" / "lab.ipynb").read_text())
        for write in (False, True):
            job = Job(
                "bench",
                "lab",
                "lab.ipynb",
                str(course / "release" / "lab"),
                str(course / "autograder" / "lab" / "template.json"),
                str(sub),
                autograded_path=str(Path(tmp) / "out.ipynb") if write else None,
            )
            ex = NullExecutor()
            grade(job, executor=ex)  # warm the template cache
            times = []
            cpu0 = time.process_time()
            for _ in range(n):
                t = time.perf_counter()
                result = grade(job, executor=ex)
                times.append(time.perf_counter() - t)
            cpu_ms = (time.process_time() - cpu0) / n * 1000
            assert result.status == "graded", result.reason
            label = "with autograded/ notebook" if write else "result only"
            print(
                json.dumps(
                    {
                        "grade_overhead_ms_median": round(statistics.median(times) * 1000, 3),
                        "p90_ms": round(sorted(times)[int(n * 0.9)] * 1000, 3),
                        "cpu_ms_mean": round(cpu_ms, 3),
                        "runs": n,
                        "case": label,
                    }
                )
            )


if __name__ == "__main__":
    main()
