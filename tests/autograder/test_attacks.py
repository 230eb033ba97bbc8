"""Attack suite: hostile submissions must be contained and produce the right status or flag.

Runs against the real sandbox (root, namespaces, cgroups); skipped with the reason when the
machine cannot provide it. Limits are small so the whole file stays fast.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from autograder.cgroups import wait_for_cleanup
from autograder.contract import Limits
from autograder.execute import CodeCell, Execution, get_executor, sandbox_status

os.environ.setdefault("AG_TEST_CANARY", "SECRET-GRADER-ENV")
pytestmark = pytest.mark.skipif(not sandbox_status().available, reason=str(sandbox_status()))

LIMITS = Limits(
    cell_timeout_s=1.0,
    notebook_timeout_s=20.0,
    memory_mb=256,
    max_pids=32,
    disk_mb=16,
    output_bytes=100_000,
)
# a fresh kernel is slower to answer on a loaded machine: give its cells more room
KERNEL_LIMITS = Limits(
    cell_timeout_s=10.0, notebook_timeout_s=60.0, memory_mb=256, max_pids=32, disk_mb=16
)


@pytest.fixture(scope="module")
def zygote():
    with get_executor("zygote") as executor:
        yield executor


@pytest.fixture(scope="module")
def kernel():
    with get_executor("kernel") as executor:
        yield executor


@pytest.fixture
def course(tmp_path: Path) -> dict[str, Path]:
    """A job workdir next to the things a submission must never reach."""
    work = tmp_path / "job"
    work.mkdir()
    (work / "data.csv").write_text("x\n1\n")
    secret = tmp_path / "template.json"
    secret.write_text(json.dumps({"hidden": "SECRET-HIDDEN-TEST"}))
    other = tmp_path / "submitted" / "bob"
    other.mkdir(parents=True)
    (other / "ps1.ipynb").write_text("SECRET-OTHER-STUDENT")
    return {"work": work, "secret": secret, "other": other / "ps1.ipynb"}


def run(
    executor, workdir: Path, *sources: str, roles: tuple[str, ...] = (), limits: Limits = LIMITS
) -> Execution:
    cells = [
        CodeCell(f"c{i}", textwrap.dedent(src), roles[i] if i < len(roles) else "student")
        for i, src in enumerate(sources)
    ]
    if limits is None:
        limits = KERNEL_LIMITS if executor.name == "kernel" else LIMITS
    return executor.run(cells, workdir=workdir, limits=limits)


def text(execution: Execution, index: int) -> str:
    cell = execution.cells[index]
    parts = [o.get("text", "") for o in cell.outputs] + [
        str(o.get("data", "")) for o in cell.outputs
    ]
    if cell.error:
        parts.append(f"{cell.error['ename']}: {cell.error['evalue']}")
    return "".join(parts)


NETWORK = """
import socket
for host, port in [("127.0.0.1", 6379), ("127.0.0.1", 5432), ("1.1.1.1", 53), ("10.0.0.1", 80)]:
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((host, port))
        print("CONNECTED", host)
    except OSError as exc:
        print("blocked", host, exc.errno)
print(sorted(n for _, n in socket.if_nameindex()))
"""


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_network_is_unreachable(request, name, course):
    ex = run(request.getfixturevalue(name), course["work"], NETWORK)
    out = text(ex, 0)
    assert ex.cells[0].status == "ok", out
    assert "CONNECTED" not in out
    assert out.count("blocked") == 4
    assert "['lo']" in out  # no host interfaces in the job's network namespace


READS = """
import os
for path in [{secret!r}, {other!r}, "/root", "/etc/shadow", {repo!r}, "/proc/1/environ"]:
    try:
        if os.path.isdir(path):
            print("LEAK-DIR", path, os.listdir(path))
        else:
            print("LEAK", path, open(path).read()[:50])
    except OSError as exc:
        print("denied", path, type(exc).__name__)
print(sorted(os.listdir("/")))
print(sorted(os.listdir(".")))
"""


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_files_outside_the_workdir_are_invisible(request, name, course):
    repo = str(Path(__file__).resolve().parents[2])
    src = READS.format(secret=str(course["secret"]), other=str(course["other"]), repo=repo)
    ex = run(request.getfixturevalue(name), course["work"], src)
    out = text(ex, 0)
    assert "SECRET" not in out, (ex.flags, ex.log)
    assert "LEAK " not in out.replace("LEAK /proc/1/environ", "")  # no file content outside
    assert os.environ["AG_TEST_CANARY"] not in out  # nor the grader's environment
    # directories on the interpreter's path show only the bound interpreter/virtualenv
    assert "courses" not in out and "autograder" not in out and ".bashrc" not in out
    assert out.count("denied") >= 3, (ex.flags, ex.log)
    assert "data.csv" in out


def test_writes_stay_private_and_the_system_is_read_only(zygote, course):
    ex = run(
        zygote,
        course["work"],
        """
        import os
        open("extra.txt", "w").write("new file in the private layer")
        open("/tmp/t", "w").write("tmp ok")
        for path in ["data.csv", "/usr/evil", "/etc/passwd", "/evil", {secret!r}, "/home/evil"]:
            try:
                open(path, "w").write("x")
                print("WROTE", path)
            except OSError as exc:
                print("refused", path, type(exc).__name__)
        print(open("extra.txt").read(), sorted(os.listdir(".")))
        """.replace("{secret!r}", repr(str(course["secret"]))),
    )
    out = text(ex, 0)
    assert "WROTE" not in out and out.count("refused") == 6, out
    assert "new file in the private layer ['data.csv', 'extra.txt']" in out
    assert (course["work"] / "data.csv").read_text() == "x\n1\n"
    assert sorted(p.name for p in course["work"].iterdir()) == ["data.csv"]
    assert "SECRET-HIDDEN-TEST" in course["secret"].read_text()


def _marker_processes(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker in Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_orphans_and_daemons_do_not_survive_the_job(request, name, course):
    marker = f"98765{os.getpid() % 1000}"
    ex = run(
        request.getfixturevalue(name),
        course["work"],
        f"""
        import os, subprocess
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "{marker}1"])
            os._exit(0)
        print("spawned")
        """,
    )
    assert ex.cells[0].status == "ok", text(ex, 0)
    wait_for_cleanup()  # every job process got SIGKILL before run() returned; wait for the exits
    assert _marker_processes(marker) == []


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_new_namespaces_and_kernel_attack_surface_are_refused(request, name, course):
    ex = run(
        request.getfixturevalue(name),
        course["work"],
        """
        import subprocess
        for cmd in (["unshare", "-U", "true"], ["unshare", "-r", "true"], ["unshare", "-n", "true"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            print(cmd[1], r.returncode, "not permitted" in r.stderr)
        print(subprocess.run(["echo", "subprocesses still work"], capture_output=True, text=True).stdout)
        """,
    )
    out = text(ex, 0)
    assert out.count(" 1 True") == 3, out
    assert "subprocesses still work" in out


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_other_processes_cannot_touch_the_runners_memory(request, name, course):
    ex = run(
        request.getfixturevalue(name),
        course["work"],
        """
        import ctypes, os, subprocess, sys
        script = (
            "import ctypes, sys\\n"
            "libc = ctypes.CDLL(None, use_errno=True)\\n"
            "pid = int(sys.argv[1])\\n"
            "print('ptrace', libc.ptrace(16, pid, 0, 0), ctypes.get_errno())\\n"
            "try:\\n"
            "    open(f'/proc/{pid}/mem', 'r+b'); print('MEM OPEN')\\n"
            "except OSError as e:\\n"
            "    print('mem', type(e).__name__)\\n"
        )
        r = subprocess.run([sys.executable, "-c", script, str(os.getpid())], capture_output=True, text=True)
        print(r.stdout, r.stderr[-300:])
        """,
    )
    out = text(ex, 0)
    assert "ptrace -1 1" in out, out  # EPERM
    assert "mem PermissionError" in out and "MEM OPEN" not in out


def test_processes_left_running_before_a_test_are_flagged(zygote, course):
    ex = run(
        zygote,
        course["work"],
        "import subprocess\nbg = subprocess.Popen(['sleep', '30'])\ndone = subprocess.run(['true'])",
        "assert True",
        roles=("student", "test"),
    )
    assert ex.cells[1].status == "ok"
    assert [f for f in ex.flags if "still running before a test cell" in f] != []
    assert not any("2 process" in f for f in ex.flags)  # the finished one is not counted


def test_fork_bomb_is_capped_and_the_job_ends(zygote, course):
    ex = run(
        zygote,
        course["work"],
        """
        import os
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    import time; time.sleep(30); os._exit(0)
                children += 1
        except OSError as exc:
            print("fork refused after", children, type(exc).__name__)
        """,
        "print('still grading')",
    )
    out = text(ex, 0)
    assert "fork refused after" in out
    assert int(out.split("after")[1].split()[0]) <= LIMITS.max_pids
    assert ex.cells[1].status == "ok"


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_memory_bomb_is_killed_with_status_memory(request, name, course):
    ex = run(
        request.getfixturevalue(name),
        course["work"],
        "x = 1",
        "blob = bytearray(b'x') * (600 * 1024 * 1024)",
        "print('unreachable')",
    )
    assert ex.status == "memory", (ex.status, ex.log)
    assert [c.status for c in ex.cells] == ["ok", "killed", "not_run"]


def test_disk_fill_hits_the_private_quota(zygote, course):
    ex = run(
        zygote,
        course["work"],
        """
        chunk = b"x" * (1 << 20)
        written = 0
        try:
            with open("/tmp/fill", "wb") as fh:
                for _ in range(100):
                    fh.write(chunk); fh.flush(); written += 1
        except OSError as exc:
            print("stopped after", written, "MiB:", exc.strerror)
        """,
        "print('next cell runs')",
    )
    out = text(ex, 0)
    assert "stopped after" in out and int(out.split("after")[1].split()[0]) <= LIMITS.disk_mb
    assert ex.cells[1].status == "ok"


@pytest.mark.parametrize("name", ["zygote", "kernel"])
def test_huge_output_is_truncated_with_status_output_limit(request, name, course):
    ex = run(
        request.getfixturevalue(name),
        course["work"],
        "for i in range(100000): print('spam' * 10)",
        "import os; os.system('head -c 5000000 /dev/zero | tr \"\\\\0\" y')",
        "raise ValueError('x' * 5_000_000)",  # bigger than the result frame cap
        "print('after')",
    )
    assert ex.status == "output_limit"
    total = sum(len(json.dumps(c.outputs)) for c in ex.cells)
    assert total < LIMITS.output_bytes * 2
    assert "output truncated" in text(ex, 0)
    assert ex.cells[2].status == "error" and len(ex.cells[2].error["evalue"]) < 10_000
    assert ex.cells[3].status == "ok"


def test_infinite_loop_is_interrupted_and_grading_continues(zygote, course):
    ex = run(zygote, course["work"], "while True: pass", "print('next')")
    assert [c.status for c in ex.cells] == ["timeout", "ok"]
    assert ex.status == "ok"


def test_loop_that_ignores_interrupts_is_killed_from_outside(zygote, course):
    ex = run(
        zygote,
        course["work"],
        """
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass
        """,
        "print('never')",
    )
    assert ex.status == "timeout"
    assert [c.status for c in ex.cells] == ["timeout", "not_run"]


def test_cpu_time_limit_ends_the_job_as_a_timeout(zygote, course):
    limits = Limits(
        cell_timeout_s=10,
        notebook_timeout_s=20,
        memory_mb=256,
        max_pids=32,
        disk_mb=16,
        cpu_time_s=1,
    )
    ex = run(zygote, course["work"], "while True: pass", "print('never')", limits=limits)
    assert ex.status == "timeout" and "CPU time" in ex.log, ex.log
    assert [c.status for c in ex.cells] == ["timeout", "not_run"]


def test_notebook_time_limit_is_enforced(zygote, course):
    limits = Limits(
        cell_timeout_s=5, notebook_timeout_s=1.5, memory_mb=256, max_pids=32, disk_mb=16
    )
    ex = run(
        zygote,
        course["work"],
        "import time; time.sleep(1)",
        "import time; time.sleep(3)",
        "1",
        limits=limits,
    )
    assert ex.status == "timeout"
    assert [c.status for c in ex.cells] == ["ok", "timeout", "not_run"]


@pytest.mark.parametrize(
    "attack, survives",
    [
        ("os.kill(os.getppid(), 9)", True),  # the parent is the job's init: immune inside
        ("os.kill(1, 9)", True),
        ("os.kill(-1, 9)", True),  # nobody else to kill in the job's namespace (ESRCH)
        ("os.kill(0, 9)", False),  # its own process group: the submission kills itself
        ("os.kill(os.getpid(), 9)", False),
    ],
)
def test_signals_cannot_reach_the_grader(zygote, course, attack, survives):
    # The grader and the zygote live outside the job's PID namespace: they cannot be named.
    ex = run(zygote, course["work"], f"import os; {attack}", "print('after')")
    assert zygote.proc.poll() is None  # the zygote survived
    if survives:
        assert ex.status == "ok" and ex.cells[1].status == "ok" and "after" in text(ex, 1)
    else:
        assert ex.status == "crashed" and "signal 9" in ex.log
        assert [c.status for c in ex.cells] == ["killed", "not_run"]
    follow_up = run(zygote, course["work"], "print('next student')")
    assert follow_up.status == "ok" and "next student" in text(follow_up, 0)


def test_a_runner_that_exits_is_reported_and_the_next_job_runs(zygote, course):
    ex = run(zygote, course["work"], "import os; os._exit(3)", "print('after')")
    assert ex.status == "crashed"
    assert [c.status for c in ex.cells] == ["killed", "not_run"]
    assert "exited with code 3" in ex.log
    follow_up = run(zygote, course["work"], "print('next student')")
    assert follow_up.status == "ok" and "next student" in text(follow_up, 0)


def test_the_zygote_is_invisible_from_the_sandbox(zygote, course):
    pid = zygote.hello["pid"]
    ex = run(
        zygote,
        course["work"],
        f"import os\ntry:\n    os.kill({pid}, 9)\nexcept OSError as e:\n    print(type(e).__name__)",
    )
    assert "ProcessLookupError" in text(ex, 0)
    assert zygote.proc.poll() is None


CHEATS = {
    "numpy.testing.assert_allclose": "import numpy.testing as t; t.assert_allclose = lambda *a, **k: None",
    "builtins.abs": "import builtins; builtins.abs = lambda x: 0",
    "code object": "import numpy.testing as t; t.assert_allclose.__code__ = (lambda *a, **k: None).__code__",
    "input_transformers_post": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    "ast_transformers": (
        "import ast\nclass T(ast.NodeTransformer):\n    def visit_Assert(self, node): return ast.Pass()\n"
        "get_ipython().ast_transformers.append(T())"
    ),
    "run_cell": "get_ipython().run_cell = lambda *a, **k: None",
    "settrace": "import sys\ndef tr(*a): return None\nsys.settrace(tr)",
    "sys.modules": (
        "import sys, types\nfake = types.ModuleType('numpy.testing')\n"
        "fake.assert_allclose = lambda *a, **k: None\nsys.modules['numpy.testing'] = fake"
    ),
}
HONEST_TEST = (
    "from numpy.testing import assert_allclose\nassert abs(-2) == 2\nassert_allclose(answer, 42)"
)


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_monkeypatching_cheats_are_undone_and_flagged(zygote, course, cheat):
    ex = run(
        zygote,
        course["work"],
        "answer = 0",
        CHEATS[cheat],
        HONEST_TEST,
        roles=("student", "student", "test"),
    )
    assert ex.cells[1].status == "ok", text(ex, 1)
    assert ex.cells[2].status == "error", "the test must really run and fail"
    assert ex.flags, "the cheat must be flagged"
    assert ex.status == "ok"


def test_kernel_executor_also_undoes_monkeypatching(kernel, course):
    ex = run(
        kernel,
        course["work"],
        "answer = 0",
        CHEATS["numpy.testing.assert_allclose"],
        HONEST_TEST,
        roles=("student", "student", "test"),
    )
    assert ex.cells[2].status == "error"
    assert any("assert_allclose" in f for f in ex.flags)


def test_always_equal_objects_are_flagged(zygote, course):
    ex = run(
        zygote,
        course["work"],
        "class Yes(int):\n    def __eq__(self, other): return True\n    __hash__ = int.__hash__\nanswer = Yes(0)",
        "assert answer == 42\nassert isinstance(answer, int)",
        roles=("student", "test"),
    )
    assert ex.cells[1].status == "ok", (ex.log, ex.cells)  # equality itself cannot be prevented ...
    assert any("always-equal" in f and "Yes" in f for f in ex.flags)  # ... so it is flagged


def test_patching_from_inside_a_test_call_is_flagged(zygote, course):
    student = "def answer():\n    import pandas.testing as pt\n    pt.assert_frame_equal = lambda *a, **k: None\n    return 1"
    ex = run(zygote, course["work"], student, "assert answer() == 1", roles=("student", "test"))
    assert any("during test" in f and "assert_frame_equal" in f for f in ex.flags)


def test_forged_result_frames_are_detected(zygote, course):
    forge = textwrap.dedent(
        """
        import os, json, struct
        frame = json.dumps({"op": "cell", "i": 2, "nonce": "guess", "status": "ok", "outputs": []}).encode()
        for fd in range(3, 20):
            try:
                os.write(fd, struct.pack(">I", len(frame)) + frame)
            except OSError:
                pass
        """
    )
    ex = run(
        zygote, course["work"], forge, "1", "assert False", roles=("student", "student", "test")
    )
    assert ex.status == "crashed"
    assert any("tampering" in f for f in ex.flags)
    assert ex.cells[2].status != "ok"


def test_introspection_primitives_raise_an_alert(zygote, course):
    ex = run(
        zygote,
        course["work"],
        "import gc; gc.get_objects(); import sys; sys.addaudithook(lambda *a: None)",
    )
    assert any("gc.get_objects" in f for f in ex.flags)
    assert any("addaudithook" in f for f in ex.flags)


def test_honest_notebook_raises_no_flags(zygote, course):
    ex = run(
        zygote,
        course["work"],
        "import numpy as np, pandas as pd\ndf = pd.read_csv('data.csv')\nanswer = float(np.sum(df.x)) * 42",
        "from numpy.testing import assert_allclose\nimport pandas.testing as pdt\nassert_allclose(answer, 42)\n"
        "pdt.assert_frame_equal(df, df)\nassert answer == 42.0 and [1, 2] == [1, 2]",
        roles=("student", "test"),
    )
    assert [c.status for c in ex.cells] == ["ok", "ok"], text(ex, 1)
    assert ex.flags == []
