"""Per-job cost of the executors: zygote vs fresh (sandboxed) kernel vs unsandboxed kernel.

    python bench/executor_bench.py [--runs 20] [--executors zygote,kernel,unsandboxed]

Runs two tiny notebooks ``--runs`` times on each executor, interleaved, and prints the wall time
per job (median and minimum, ms): "trivial" is one ``pass`` cell; "numpy+pandas" imports both,
builds a small DataFrame and runs one test cell (so the integrity checks are included). Also
prints the cost of a runaway cell (``while True: pass`` with a 1 s cell limit) and the zygote's
one-off start-up. Needs root (the sandbox); the unsandboxed executor runs with an explicit
opt-in because the notebooks are our own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.contract import Limits  # noqa: E402
from autograder.execute import CodeCell, get_executor, sandbox_status  # noqa: E402

NOTEBOOKS = {
    "trivial": [CodeCell("a", "pass")],
    "numpy+pandas": [
        CodeCell(
            "a",
            "import numpy as np, pandas as pd\ndf = pd.DataFrame({'x': np.arange(100)})\nanswer = df.x.mean()",
        ),
        CodeCell(
            "t", "from numpy.testing import assert_allclose\nassert_allclose(answer, 49.5)", "test"
        ),
    ],
}
RUNAWAY = [CodeCell("a", "while True: pass"), CodeCell("b", "print('next')")]


def measure(executor, cells, workdir: Path, runs: int, limits: Limits) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = executor.run(cells, workdir=workdir, limits=limits)
        times.append(time.perf_counter() - began)
        if result.status not in ("ok",):
            raise SystemExit(f"unexpected status {result.status}: {result.log}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--executors", default="zygote,kernel,unsandboxed")
    args = parser.parse_args()
    print(sandbox_status())
    limits = Limits(cell_timeout_s=30, notebook_timeout_s=120, memory_mb=1024)
    workdir = Path(tempfile.mkdtemp(prefix="ag-bench-"))
    rows = []
    for name in args.executors.split(","):
        began = time.perf_counter()
        executor = get_executor(name, allow_unsandboxed=True)
        executor.run(
            NOTEBOOKS["trivial"], workdir=workdir, limits=limits
        )  # warm-up (starts the zygote)
        startup = time.perf_counter() - began
        with executor:
            for label, cells in NOTEBOOKS.items():
                times = measure(executor, cells, workdir, args.runs, limits)
                rows.append((name, label, statistics.median(times), min(times)))
            began = time.perf_counter()
            runaway = executor.run(RUNAWAY, workdir=workdir, limits=Limits(cell_timeout_s=1.0))
            rows.append(
                (name, "runaway cell (1 s limit)", time.perf_counter() - began, float("nan"))
            )
            assert [c.status for c in runaway.cells] == ["timeout", "ok"], runaway
        rows.append((name, "first job incl. start-up", startup, float("nan")))
    print(
        f"\n{'executor':<12} {'notebook':<26} {'median ms':>10} {'min ms':>8}   ({args.runs} runs)"
    )
    for name, label, med, low in rows:
        print(f"{name:<12} {label:<26} {med * 1000:>10.1f} {low * 1000:>8.1f}")


if __name__ == "__main__":
    main()
