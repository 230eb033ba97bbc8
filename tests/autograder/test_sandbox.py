"""The sandboxed executors run honest notebooks correctly, in isolation from each other."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from autograder.cgroups import cgroup_support, parent_name, wait_for_cleanup
from autograder.contract import Limits
from autograder.execute import CodeCell, get_executor, sandbox_status
from autograder.sandbox import python_ro_paths

pytestmark = pytest.mark.skipif(not sandbox_status().available, reason=str(sandbox_status()))
LIMITS = Limits(cell_timeout_s=5, notebook_timeout_s=30, memory_mb=512, max_pids=32, disk_mb=32)


@pytest.fixture(scope="module")
def zygote():
    with get_executor("zygote") as executor:
        yield executor


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text("x,y\n1,2\n3,4\n")
    return tmp_path


def cells(*sources: str) -> list[CodeCell]:
    return [CodeCell(f"c{i}", src) for i, src in enumerate(sources)]


def stdout(run) -> str:
    return "".join(o.get("text", "") for o in run.outputs if o["output_type"] == "stream")


def test_sandbox_status_reports_the_mechanism():
    status = sandbox_status()
    assert status.available and "namespaces" in status.mechanism
    assert "cgroup v" in str(status)


def test_cells_produce_nbformat_outputs(zygote, workdir):
    ex = zygote.run(
        cells(
            "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.x.sum())\ndf.y.sum()",
            "from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))",
            "import sys; print('warn', file=sys.stderr)",
            "undefined_name",
        ),
        workdir=workdir,
        limits=LIMITS,
    )
    first, second, third, fourth = ex.cells
    assert stdout(first) == "4\n"
    assert first.outputs[-1]["output_type"] == "execute_result"
    assert first.outputs[-1]["data"]["text/plain"] == "np.int64(6)"
    assert second.outputs[0]["output_type"] == "display_data"
    assert second.outputs[0]["data"]["text/html"] == "<b>hi</b>"
    assert third.outputs == [{"output_type": "stream", "name": "stderr", "text": "warn\n"}]
    assert fourth.status == "error" and fourth.error["ename"] == "NameError"
    assert fourth.outputs[0]["output_type"] == "error"


def test_magics_and_shell_commands_work(zygote, workdir):
    ex = zygote.run(
        cells("%time x = 1 + 1", "!echo from-a-subprocess", "%who_ls"),
        workdir=workdir,
        limits=LIMITS,
    )
    assert [c.status for c in ex.cells] == ["ok", "ok", "ok"]
    assert "from-a-subprocess" in stdout(ex.cells[1])


def test_code_runs_as_the_unprivileged_uid_in_a_private_home(zygote, workdir):
    ex = zygote.run(
        cells("import os; print(os.getuid(), os.getgid(), os.getcwd(), os.getpid())"),
        workdir=workdir,
        limits=LIMITS,
    )
    uid = int(os.environ.get("AUTOGRADER_SANDBOX_UID", 65534))
    assert stdout(ex.cells[0]).split() == [str(uid), str(uid), "/home/sandbox", "2"]


def test_modules_not_preimported_still_load_after_setuid(zygote, workdir):
    # the interpreter lives under root's 0700 home here: it is bound read-only at its own path
    ex = zygote.run(
        cells("import sqlite3, tempfile, json, decimal, email.mime.text\nprint('ok')"),
        workdir=workdir,
        limits=LIMITS,
    )
    assert ex.cells[0].status == "ok", ex.cells[0].error
    assert all(p != "/" for p in python_ro_paths(str(workdir)))


def test_jobs_share_no_state(zygote, workdir):
    first = zygote.run(
        cells(
            "import numpy as np\nnp.SECRET = 41\nleak = 'x'\nimport random; print(random.random(), np.random.rand())"
        ),
        workdir=workdir,
        limits=LIMITS,
    )
    second = zygote.run(
        cells(
            "import numpy as np\nprint(hasattr(np, 'SECRET'), 'leak' in globals())\nimport random; print(random.random(), np.random.rand())"
        ),
        workdir=workdir,
        limits=LIMITS,
    )
    assert first.status == second.status == "ok"
    lines = stdout(second.cells[0]).splitlines()
    assert lines[0] == "False False"
    assert lines[1] != stdout(first.cells[0]).strip()  # every job gets fresh RNG state


def test_nothing_is_left_in_the_cgroup_hierarchy(zygote, workdir):
    zygote.run(
        cells("import subprocess; subprocess.Popen(['sleep', '60'])"),
        workdir=workdir,
        limits=LIMITS,
    )
    wait_for_cleanup()
    support = cgroup_support()
    base = support.root / ("pids" if support.version == 1 else "") / parent_name()
    mine = [d for d in base.iterdir() if d.is_dir() and d.name.startswith(f"w{os.getpid()}-")]
    assert mine == []


def test_a_killed_zygote_is_restarted(workdir):
    with get_executor("zygote") as executor:
        executor.run(cells("1"), workdir=workdir, limits=LIMITS)
        executor.proc.kill()
        executor.proc.wait()
        ex = executor.run(cells("print('again')"), workdir=workdir, limits=LIMITS)
    assert ex.status == "ok" and stdout(ex.cells[0]) == "again\n"


def test_kernel_executor_runs_the_same_notebook(workdir):
    with get_executor("kernel") as executor:
        ex = executor.run(
            cells(
                "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.x.sum())",
                "import os; print(os.getuid())",
                "1/0",
            ),
            workdir=workdir,
            limits=LIMITS,
        )
    assert stdout(ex.cells[0]) == "4\n"
    assert stdout(ex.cells[1]).strip() == os.environ.get("AUTOGRADER_SANDBOX_UID", "65534")
    assert ex.cells[2].status == "error" and ex.cells[2].error["ename"] == "ZeroDivisionError"


def test_gpu_jobs_go_to_the_kernel_with_the_device_visible(zygote, workdir):
    ex = zygote.run(
        cells("import os; print(os.environ.get('CUDA_VISIBLE_DEVICES'))"),
        workdir=workdir,
        limits=LIMITS,
        resource_class="gpu",
        gpu_device="3",
    )
    assert stdout(ex.cells[0]).strip() == "3"


def test_a_missing_workdir_is_a_sandbox_error_not_an_exception(zygote, tmp_path):
    ex = zygote.run(cells("1"), workdir=tmp_path / "missing", limits=LIMITS)
    assert ex.status == "sandbox_error" and "not a directory" in ex.log
    assert [c.status for c in ex.cells] == ["not_run"]


def test_configured_modules_are_preimported_and_missing_ones_tolerated(workdir):
    with get_executor("zygote", preimport="sqlite3, no_such_module_xyz") as executor:
        ex = executor.run(
            cells("import sys\nprint('sqlite3' in sys.modules)"), workdir=workdir, limits=LIMITS
        )
        assert executor.hello["preimported"] == ["numpy", "pandas", "sqlite3"]
    assert stdout(ex.cells[0]) == "True\n"


def test_a_zygote_started_with_sigint_ignored_still_interrupts_a_runaway_cell(workdir):
    # Celery's pool children ignore SIGINT and an ignored signal survives exec: the zygote
    # must restore the handler itself, or a timed-out cell would end the whole job.
    limits = Limits(cell_timeout_s=1, notebook_timeout_s=20, memory_mb=512, max_pids=32)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # the zygote starts with the first job, inheriting the ignored SIGINT
        with get_executor("zygote") as executor:
            run = executor.run(
                cells("while True: pass", "print('after')"), workdir=workdir, limits=limits
            )
            status = Path(f"/proc/{executor.proc.pid}/status").read_text()
    finally:
        signal.signal(signal.SIGINT, previous)
    ignored = int(next(ln for ln in status.splitlines() if ln.startswith("SigIgn:")).split()[1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1)), "the zygote still ignores SIGINT"
    assert [c.status for c in run.cells] == ["timeout", "ok"], run.log
    assert "after" in stdout(run.cells[1])


def test_the_zygote_warm_up_leaves_no_trace_but_warm_caches(zygote, workdir):
    # Traceback machinery imported and the zygote's objects frozen before the fork; the
    # warm-up error is invisible to the job (no sys.last_*, no helper in the namespace).
    probe = (
        "import gc, sys\n"
        "print(hasattr(sys, 'last_value'), '_warm_up' in globals(),"
        " 'stack_data' in sys.modules, gc.get_freeze_count() > 0)"
    )
    run = zygote.run(cells(probe, "1 / 0"), workdir=workdir, limits=LIMITS)
    assert stdout(run.cells[0]).split() == ["False", "False", "True", "True"], run.log
    assert run.cells[1].status == "error" and run.cells[1].error["ename"] == "ZeroDivisionError"
