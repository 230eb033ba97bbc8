"""``python -m autograder``: autograde, grade, generate, worker, sandbox-check.

Exit status: 0 success; 1 some submissions were not gradable (infrastructure); 2 usage or
refused (bad course directory, sandbox unavailable without the development opt-in).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from autograder.contract import Job, Limits

UNSANDBOXED_ENV = "AUTOGRADER_ALLOW_UNSANDBOXED"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)

    ag = sub.add_parser("autograde", help="grade an nbgrader course's submissions")
    ag.add_argument("course_dir", type=Path)
    ag.add_argument("assignment")
    ag.add_argument("--student", default="*", help="student id glob (default: all)")
    ag.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    ag.add_argument("--json", type=Path, default=None, help="write per-student/per-cell results")
    ag.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    ag.add_argument("--gpu", action="store_true", help="grade on GPU workers (one slot per job)")
    _sandbox_args(ag)
    _limit_args(ag)

    gr = sub.add_parser("grade", help="grade one submission (the portal's job contract)")
    gr.add_argument("--release", required=True, type=Path, help="the assignment's release dir")
    gr.add_argument("--submission", required=True, type=Path, help="the submitted .ipynb")
    gr.add_argument("--template", type=Path, default=None, help="template.json from generate")
    gr.add_argument("--notebook", default=None, help="notebook name (default: from template)")
    gr.add_argument("--files", type=Path, default=None, help="the student's other files")
    gr.add_argument("--job-id", default="cli")
    gr.add_argument("--json", action="store_true", help="print the Result as JSON")
    _sandbox_args(gr)
    _limit_args(gr)

    ge = sub.add_parser("generate", help="release an assignment and write its grading template")
    ge.add_argument("course_dir", type=Path)
    ge.add_argument("assignment")

    wk = sub.add_parser("worker", help="run a grading worker (see --help of the worker)")
    wk.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("sandbox-check", help="say whether the sandbox works on this machine")
    return parser


def _sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", default=None, help="executor backend (AUTOGRADER_EXECUTOR)")
    p.add_argument(
        "--unsandboxed",
        action="store_true",
        help=f"DEVELOPMENT ONLY: run student code without the sandbox (or {UNSANDBOXED_ENV}=1)",
    )


def _limit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout_s, metavar="S")
    p.add_argument("--notebook-timeout", type=float, default=Limits.notebook_timeout_s)
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:  # every option after "worker" belongs to the worker
        from autograder.dispatch.worker import main as worker_main

        return worker_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    if args.command == "sandbox-check":
        return _sandbox_check()
    if args.command == "generate":
        return _generate(args)
    executor = _choose_executor(args)
    if executor is False:
        return 2
    if args.command == "grade":
        return _grade_one(args, executor)
    return _autograde(args, executor)


def _sandbox_check() -> int:
    from autograder.execute import sandbox_status

    status = sandbox_status()
    print(status)
    return 0 if status.available else 1


def _choose_executor(args: argparse.Namespace) -> str | None | bool:
    """The executor name to use, None for the default, or False when grading is refused."""
    from autograder.execute import sandbox_status, unsandboxed_allowed

    if args.unsandboxed or unsandboxed_allowed():
        os.environ[UNSANDBOXED_ENV] = "1"  # inherited by pool workers
        print("WARNING: grading WITHOUT the sandbox (development only)", file=sys.stderr)
        return args.executor or os.environ.get("AUTOGRADER_EXECUTOR") or "unsandboxed"
    status = sandbox_status()
    print(status, file=sys.stderr)
    if not status.available:
        print(
            "Refusing to run untrusted student code without the sandbox. Fix the above, or for "
            f"development only pass --unsandboxed (or set {UNSANDBOXED_ENV}=1).",
            file=sys.stderr,
        )
        return False
    return args.executor


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        cell_timeout_s=args.cell_timeout,
        notebook_timeout_s=args.notebook_timeout,
        memory_mb=args.memory_mb,
    )


def _generate(args: argparse.Namespace) -> int:
    from autograder.course_dir import CourseError
    from autograder.template import generate

    try:
        path = generate(args.course_dir, args.assignment)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"released {args.assignment}; grading template: {path}")
    return 0


def _grade_one(args: argparse.Namespace, executor_name: str | None) -> int:
    from autograder.execute import get_executor
    from autograder.grading import grade
    from autograder.template import load_template

    release = args.release.resolve()
    template = (
        args.template or release.parent.parent / "autograder" / release.name / "template.json"
    )
    try:
        data = load_template(str(template))
    except ValueError as exc:
        print(f"error: {exc} (pass --template)", file=sys.stderr)
        return 2
    notebooks = sorted(data["notebooks"])
    name = args.notebook or (notebooks[0] if len(notebooks) == 1 else args.submission.stem)
    job = Job(
        job_id=args.job_id,
        assignment=data["assignment"],
        notebook_name=f"{Path(name).stem}.ipynb",
        release_dir=str(release),
        template_path=str(Path(template).resolve()),
        submission_path=str(args.submission.resolve()),
        limits=_limits(args),
        extra_files_dir=str(args.files.resolve()) if args.files else None,
    )
    with get_executor(executor_name) as executor:
        result = grade(job, executor=executor)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1, sort_keys=True))
    else:
        print(f"{result.status}: {result.earned:g} / {result.possible:g} {result.reason}".strip())
        for cell in result.cells:
            print(f"  {cell.cell_id}: {cell.status} {cell.earned:g}/{cell.possible:g}")
    return 1 if result.status == "not_gradable" else 0


def _autograde(args: argparse.Namespace, executor_name: str | None) -> int:
    from autograder.batch import autograde, write_report
    from autograder.course_dir import CourseError

    try:
        report = autograde(
            args.course_dir,
            args.assignment,
            student_glob=args.student,
            workers=args.workers,
            executor_name=executor_name,
            limits=_limits(args),
            progress=not args.no_progress,
            resource_class="gpu" if args.gpu else "cpu",
        )
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        write_report(report, args.json)
    summary = report.to_dict()["summary"]
    print(", ".join(f"{k}: {v}" for k, v in summary.items()))
    for (student, nb), result in sorted(report.results.items()):
        if result.status != "graded":
            why = result.reason or "; ".join(result.flags)
            print(f"  {student}/{nb}: {result.status}: {why}", file=sys.stderr)
    return 1 if report.count("not_gradable") else 0
