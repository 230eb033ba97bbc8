"""Grading benchmark: real ``nbgrader autograde`` against ``python -m autograder autograde``.

    python bench/grading_bench.py [--students 100] [--workers N] [--cell-timeout 10]
                                  [--skip-nbgrader] [--no-latency] [--no-runaway]

Builds an intro-ML nbgrader course (bench/build_intro_ml_course.py), grades copies of it with
both tools in the same run (same per-cell timeout), checks that every honest score is
identical cell by cell (from each copy's gradebook), and prints: throughput of each, the
speed-up, the notebooks' own compute floor (sum of the cells' CPU time / cores) and how close
we get, single-job submit-to-result latency (a warm local spool worker, a cold CLI run and,
with ``--celery-broker redis://127.0.0.1:6379/15``, a warm Celery worker),
and the cost of the runaway (infinite loop) submission. Figures also go to
``bench/out/grading-<time>.json``. Run it on a quiet machine: wall times are sensitive to load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import build_intro_ml_course as course  # noqa: E402

from autograder.contract import Job, Limits  # noqa: E402

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
CPU = Path("/sys/fs/cgroup/cpu")
#: ``--cpu-shares N``: both graders run in this cpu cgroup (cgroup v1, root) with weight N,
#: which emulates a quiet machine on a host shared with other work (same for both graders).
SHARED_HOST_GROUP = CPU / "ag-bench-weighted"


def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds of its whole process tree, exit status.

    CPU comes from a cpuacct cgroup holding the tree when this runs as root on cgroup v1
    (it counts processes nobody waited for, e.g. sandboxed children); otherwise from the
    rusage of reaped children, which can undercount.
    """
    group = CPUACCT / f"ag-bench-{os.getpid()}-{time.monotonic_ns()}"
    try:
        group.mkdir()
    except OSError:
        group = None  # type: ignore[assignment]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()

    def join() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))
        if (SHARED_HOST_GROUP / "cgroup.procs").exists():
            (SHARED_HOST_GROUP / "cgroup.procs").write_text(str(os.getpid()))

    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          preexec_fn=join)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    source = "rusage"
    if group is not None:
        cpu, source = int((group / "cpuacct.usage").read_text()) / 1e9, "cpuacct"
        _remove_group(group)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"{cmd[:4]} failed with exit status {done.returncode}")
    return {"wall_s": wall, "cpu_s": cpu, "cpu_source": source, "rc": done.returncode}


def _remove_group(group: Path) -> None:
    for _ in range(50):  # leftover processes (none expected) would keep it busy
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.1)


def run_nbgrader(root: Path, timeout: float, student: str = "*") -> dict:
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    cmd = [nbgrader, "autograde", course.ASSIGNMENT, f"--student={student}", "--force"]
    cmd += [f"--ExecutePreprocessor.timeout={timeout:g}", "--log-level=ERROR"]
    return timed(cmd, cwd=root)


def run_ours(root: Path, timeout: float, workers: int, student: str = "*") -> dict:
    cmd = [sys.executable, "-m", "autograder", "autograde", str(root), course.ASSIGNMENT]
    cmd += ["--student", student, "--workers", str(workers), "--cell-timeout", f"{timeout:g}"]
    cmd += ["--json", str(root / "ours.json"), "--no-progress"]
    return timed(cmd)


def gradebook_scores(root: Path) -> dict[str, dict[str, float | None]]:
    """{student: {cell grade_id: score}} from a course copy's gradebook (None = manual)."""
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, float | None]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course.COURSE_ID) as gb:
        for sub in gb.assignment_submissions(course.ASSIGNMENT):
            cells: dict[str, float | None] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = grade.auto_score
            scores[sub.student.id] = cells
    return scores


def compare(a: dict, b: dict) -> tuple[int, list[str]]:
    """Number of students whose every cell score matches, and the differences."""
    same, diffs = 0, []
    for student in sorted(set(a) | set(b)):
        ca, cb = a.get(student), b.get(student)
        if ca == cb:
            same += 1
        else:
            diffs.append(f"{student}: nbgrader {ca} / ours {cb}")
    return same, diffs


def cell_cpu_floor(root: Path, timeout: float) -> dict:
    """CPU seconds of every submission's cells (numpy/pandas pre-imported, like a zygote)."""
    cmd = [sys.executable, str(HERE / "cell_cpu.py"), str(root / "autograded"), f"{timeout:g}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def spool_latency(root: Path, timeout: float, runs: int) -> dict:
    """Submit-to-result seconds of single jobs through a warm local spool worker."""
    from autograder.dispatch import read_result, submit_job

    spool = root / "spool"
    cmd = [sys.executable, "-m", "autograder", "worker", "--backend", "local"]
    cmd += ["--spool", str(spool), "--concurrency", "1", "--loglevel", "WARNING"]
    worker = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    samples = []
    try:
        for i in range(runs + 1):  # the first one warms the worker up
            job = _single_job(root, f"lat-{i}", timeout)
            start = time.perf_counter()
            submit_job(spool, job)
            while read_result(spool, job.job_id) is None:
                if time.perf_counter() - start > 120:
                    raise SystemExit("latency job not graded within 120 s")
                time.sleep(0.005)
            samples.append(time.perf_counter() - start)
    finally:
        worker.terminate()
        worker.wait(30)
    return {"first_s": samples[0], "median_s": statistics.median(samples[1:]),
            "min_s": min(samples[1:])}  # fmt: skip


def celery_latency(root: Path, timeout: float, runs: int, broker: str) -> dict:
    """Submit-to-result seconds through a warm Celery worker (``--celery-broker``)."""
    from autograder.dispatch.celery_app import create_app, fetch_result, submit
    from autograder.dispatch.results import ResultStore

    env = dict(os.environ, AUTOGRADER_BROKER_URL=broker, AUTOGRADER_RESULT_STORE_URL="")
    log = root / "celery-worker.log"
    cmd = [sys.executable, "-m", "autograder", "worker", "--queues", "cpu", "--concurrency", "1"]
    with open(log, "w") as out:
        worker = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    producer = create_app(broker)
    samples, stamp = [], time.strftime("%H%M%S")
    try:
        while " ready." not in log.read_text():
            if worker.poll() is not None or time.sleep(0.1):
                raise SystemExit(f"celery worker failed: {log.read_text()[-2000:]}")
        for i in range(runs + 1):
            job = _single_job(root, f"lat-{stamp}-{i}", timeout)
            start = time.perf_counter()
            submit(job, producer)
            if fetch_result(job.job_id, timeout=120, celery=producer) is None:
                raise SystemExit("celery latency job not graded within 120 s")
            samples.append(time.perf_counter() - start)
            ResultStore(broker).forget(job.job_id)
            producer.AsyncResult(job.job_id).forget()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
    return {"first_s": samples[0], "median_s": statistics.median(samples[1:]),
            "min_s": min(samples[1:])}  # fmt: skip


def cli_latency(root: Path, timeout: float) -> float:
    release = root / "release" / course.ASSIGNMENT
    sub = _correct_submission(root)
    cmd = [sys.executable, "-m", "autograder", "grade", "--release", str(release)]
    cmd += ["--submission", str(sub), "--json", "--cell-timeout", f"{timeout:g}"]
    return timed(cmd)["wall_s"]


def _correct_submission(root: Path) -> Path:
    kinds = json.loads((root / "kinds.json").read_text())
    student = next(s for s, k in sorted(kinds.items()) if k == "correct")
    return root / "submitted" / student / course.ASSIGNMENT / f"{course.NOTEBOOK}.ipynb"


def _single_job(root: Path, job_id: str, timeout: float) -> Job:
    return Job(
        job_id=job_id,
        assignment=course.ASSIGNMENT,
        notebook_name=f"{course.NOTEBOOK}.ipynb",
        release_dir=str(root / "release" / course.ASSIGNMENT),
        template_path=str(root / "autograder" / course.ASSIGNMENT / "template.json"),
        submission_path=str(_correct_submission(root)),
        limits=Limits(cell_timeout_s=timeout),
    )


def runaway_student(root: Path) -> str:
    kinds = json.loads((root / "kinds.json").read_text())
    return next(s for s, k in kinds.items() if k == "infinite_loop")


def runaway_cost(base: Path, work: Path, timeout: float, workers: int, fig: dict) -> dict:
    """What the infinite loop costs: its own grading time, and the batch without it.

    Ours: the batch of the other submissions is graded again without the runaway; the
    difference is what the runaway added. nbgrader: the runaway graded alone.
    """
    figures: dict = {}
    student = runaway_student(base)
    ours = json.loads((work / "ours" / "ours.json").read_text())
    result = ours["students"][student]["notebooks"][course.NOTEBOOK]
    figures["ours_own_grading_s"] = result.get("timings", {}).get("total")
    copy = _copy(base, work / "without-runaway")
    shutil.rmtree(copy / "submitted" / student)
    figures["ours_without_wall_s"] = run_ours(copy, timeout, workers)["wall_s"]
    figures["ours_added_s"] = fig["ours"]["wall_s"] - figures["ours_without_wall_s"]
    if "nbgrader" in fig:
        copy = _copy(base, work / "runaway-nbgrader")
        figures["nbgrader_alone_wall_s"] = run_nbgrader(copy, timeout, student)["wall_s"]
    return figures


def _copy(base: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(base, dest)
    return dest


def report(fig: dict) -> None:
    n, cores = fig["students"], fig["cores"]
    ours = fig["ours"]
    print(
        f"\n== grading benchmark: {n} submissions, {cores} cores, {fig['workers']} workers, "
        f"cell timeout {fig['cell_timeout_s']:g} s, load before {fig['loadavg_before']}"
        + (f", cpu.shares {fig['cpu_shares']}" if fig.get("cpu_shares") else "")
        + " =="
    )
    print(
        f"ours      : {ours['wall_s']:7.1f} s wall  {n / ours['wall_s']:6.2f} subs/s  "
        f"(CPU {ours['cpu_s']:.1f} s)"
    )
    if "nbgrader" in fig:
        nbg = fig["nbgrader"]
        print(
            f"nbgrader  : {nbg['wall_s']:7.1f} s wall  {n / nbg['wall_s']:6.2f} subs/s  "
            f"(CPU {nbg['cpu_s']:.1f} s)"
        )
        print(f"speed-up  : {nbg['wall_s'] / ours['wall_s']:.1f}x nbgrader's throughput")
        # Load-independent view: nbgrader is sequential (one core at most), ours uses all.
        nbg_rate = n / nbg["cpu_s"]
        ours_rate = cores * n / ours["cpu_s"]
        print(f"CPU view  : {nbg['cpu_s'] / n:.2f} vs {ours['cpu_s'] / n:.2f} CPU-s per submission;"
              f" CPU-bound on {cores} idle cores: nbgrader {nbg_rate:.2f}/s (one core), ours "
              f"{ours_rate:.2f}/s = {ours_rate / nbg_rate:.1f}x")  # fmt: skip
        print(f"scores    : {fig['identical']}/{n} students identical cell by cell")
        for line in fig["differences"][:10]:
            print(f"   differs: {line}")
    floor = fig["floor"]
    print(
        f"floor     : (cells' own CPU {floor['honest_cpu_s']:.1f} s + runaway "
        f"{fig['cell_timeout_s']:g} s) / {cores} cores = {floor['floor_s']:.1f} s; ours takes "
        f"{ours['wall_s'] / floor['floor_s']:.2f}x the floor ({ours['cpu_s']:.1f} CPU-s used)"
    )
    print(
        f"            honest cells alone / {cores} cores = {floor['honest_floor_s']:.1f} s (ours "
        "demotes the runaway's CPU priority after 1 s, so it costs less than its timeout)"
    )
    if "latency" in fig:
        lat = fig["latency"]
        print(
            f"latency   : warm spool worker median {lat['median_s'] * 1000:.0f} ms "
            f"(min {lat['min_s'] * 1000:.0f} ms, first {lat['first_s']:.2f} s); "
            f"cold CLI `grade` {fig['cli_latency_s']:.2f} s"
        )
    if "celery_latency" in fig:
        cel = fig["celery_latency"]
        print(f"            warm Celery worker median {cel['median_s'] * 1000:.0f} ms "
              f"(min {cel['min_s'] * 1000:.0f} ms)")  # fmt: skip
    if "runaway" in fig:
        run = fig["runaway"]
        print(f"runaway   : ours graded it in {run['ours_own_grading_s']:.1f} s (cell timeout "
              f"{fig['cell_timeout_s']:g} s) while the other workers went on; it added "
              f"{run['ours_added_s']:.1f} s to our batch ({fig['students'] - 1} without it: "
              f"{run['ours_without_wall_s']:.1f} s)")  # fmt: skip
        if "nbgrader_alone_wall_s" in run:
            print(f"            nbgrader spent {run['nbgrader_alone_wall_s']:.1f} s on it alone "
                  "(grading stops for everyone meanwhile)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None, help="default: cores + 1")
    parser.add_argument("--cell-timeout", type=float, default=10.0)
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-runaway", action="store_true")
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument(
        "--celery-broker", default="", help="also measure latency through Celery (a dedicated db)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--cpu-shares",
        type=int,
        default=0,
        help="run both graders in a cpu cgroup of this weight (e.g. 65536: a quiet machine "
        "on a shared host; cgroup v1, root)",
    )
    args = parser.parse_args()
    if args.cpu_shares:
        SHARED_HOST_GROUP.mkdir(exist_ok=True)
        (SHARED_HOST_GROUP / "cpu.shares").write_text(str(args.cpu_shares))
    elif SHARED_HOST_GROUP.exists():
        with contextlib.suppress(OSError):  # in use by another run
            SHARED_HOST_GROUP.rmdir()
    cores = os.cpu_count() or 1
    workers = args.workers or cores + 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = args.out / f"grading-{stamp}"
    base = work / "base"
    course.build(base, args.students)
    fig: dict = {"students": args.students, "cores": cores, "workers": workers,
                 "cell_timeout_s": args.cell_timeout, "loadavg_before": os.getloadavg(),
                 "cpu_shares": args.cpu_shares}  # fmt: skip
    ours_root = _copy(base, work / "ours")
    fig["ours"] = run_ours(ours_root, args.cell_timeout, workers)
    if not args.skip_nbgrader:
        nbg_root = _copy(base, work / "nbgrader")
        fig["nbgrader"] = run_nbgrader(nbg_root, args.cell_timeout)
        same, diffs = compare(gradebook_scores(nbg_root), gradebook_scores(ours_root))
        fig["identical"], fig["differences"] = same, diffs
    floor = cell_cpu_floor(ours_root, args.cell_timeout)
    # The runaway burns a core for the whole cell timeout in any grader (a busy loop), however
    # much CPU the measuring process happened to get.
    floor["honest_cpu_s"] = floor["cpu_s"] - floor["runaway_cpu_s"]
    floor["floor_s"] = (floor["honest_cpu_s"] + args.cell_timeout) / cores
    floor["honest_floor_s"] = floor["honest_cpu_s"] / cores
    fig["floor"] = floor
    if not args.no_latency:
        fig["latency"] = spool_latency(_copy(base, work / "latency"), args.cell_timeout,
                                       args.latency_runs)  # fmt: skip
        fig["cli_latency_s"] = cli_latency(base, args.cell_timeout)
        if args.celery_broker:
            fig["celery_latency"] = celery_latency(
                _copy(base, work / "celery"),
                args.cell_timeout,
                args.latency_runs,
                args.celery_broker,
            )
    if not args.no_runaway:
        fig["runaway"] = runaway_cost(base, work, args.cell_timeout, workers, fig)
    fig["loadavg_after"] = os.getloadavg()
    if args.cpu_shares:
        with contextlib.suppress(OSError):
            SHARED_HOST_GROUP.rmdir()
    report(fig)
    out = args.out / f"grading-{stamp}.json"
    out.write_text(json.dumps(fig, indent=1))
    print(f"figures: {out}")


if __name__ == "__main__":
    main()
