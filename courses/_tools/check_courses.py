"""Validate course packages: metadata schema, notebooks, and every cross-reference.

Usage (from the repository root)::

    python courses/_tools/check_courses.py              # every package under courses/
    python courses/_tools/check_courses.py PATH [PATH]  # given package folders

Prints one line per problem, ``file: location: message``, and exits 1 if there is any.
``check_package`` / ``check_tree`` return :class:`Problem` lists for callers (the portal's
loader can reuse them). Needs only the stdlib, ``jsonschema`` and ``nbformat``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import jsonschema

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nbchecks import GPU_ORDER, Problem, check_notebook, notebook_cells  # noqa: E402

COURSES = Path(__file__).resolve().parents[1]
SCHEMA_PATH = COURSES / "course.schema.json"
MAX_DATA_BYTES = 200 * 1024
MAX_NOTEBOOK_BYTES = 1024 * 1024

__all__ = ["Problem", "check_package", "check_tree", "course_dirs", "load_course"]


@dataclass
class _Ctx:
    course_dir: Path
    problems: list[Problem]

    def add(self, location: str, message: str, file: str = "course.toml") -> None:
        self.problems.append(Problem(f"{self.course_dir.name}/{file}", location, message))


def course_dirs(root: Path = COURSES) -> list[Path]:
    """Package folders under ``root``: those holding a course.toml, skipping ``_``/``.`` names."""
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and p.name[0] not in "_." and (p / "course.toml").is_file()
    )


def _plain(value):
    """TOML values -> JSON-like values (date-times become RFC 3339 strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def load_course(course_dir: Path) -> dict:
    """Parse ``course.toml``; raises ``tomllib.TOMLDecodeError`` / ``OSError``."""
    with open(course_dir / "course.toml", "rb") as fh:
        return _plain(tomllib.load(fh))


def _schema_problems(meta: dict, ctx: _Ctx) -> bool:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(meta), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = _toml_path(meta, list(error.absolute_path)) or "(top level)"
        ctx.add(where, _short(error))
    return not errors


def _toml_path(meta: dict, path: list) -> str:
    """``['assignments', 1, 'late_policy']`` -> ``assignments[1](lab02-x).late_policy``."""
    out, node = "", meta
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            name = node[part].get("name") if isinstance(node[part], dict) else None
            out += f"({name})" if isinstance(name, str) else ""
        else:
            out += f".{part}" if out else str(part)
        node = node[part]
    return out


def _short(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf":
        return "must be either {opens_after_days, due_after_days[, open_time, due_time]} or {opens_at, due_at}"
    return error.message if len(error.message) < 300 else error.message[:297] + "..."


def _assignment_problems(meta: dict, ctx: _Ctx) -> dict[str, set[tuple[str, str]]]:
    """Per assignment: folder, notebooks, points, schedule; returns name -> graded cell keys."""
    graded: dict[str, set[tuple[str, str]]] = {}
    seen = set()
    for index, item in enumerate(meta["assignments"]):
        name, where = item["name"], f"assignments[{index}]({item['name']})"
        if name in seen:
            ctx.add(f"{where}.name", f"duplicate assignment name {name!r}")
            continue
        seen.add(name)
        _schedule_problems(item, where, ctx)
        if GPU_ORDER[item.get("gpu", meta["gpu"])] > GPU_ORDER[meta["gpu"]]:
            ctx.add(
                f"{where}.gpu", f"{item['gpu']!r} needs more than the course's gpu {meta['gpu']!r}"
            )
        folder = ctx.course_dir / "source" / name
        if not folder.is_dir():
            ctx.add(f"{where}.name", f"no folder source/{name}/")
            continue
        cells = _folder_problems(folder, ctx)
        graded[name] = {key for key, _ in cells}
        total = sum(points for _, points in cells)
        if abs(total - item["points"]) > 1e-9:
            ctx.add(
                f"{where}.points",
                f"is {item['points']:g} but the notebooks' graded cells sum to {total:g}",
            )
    source = ctx.course_dir / "source"
    for folder in sorted(source.iterdir()) if source.is_dir() else []:
        if folder.is_dir() and folder.name not in seen:
            ctx.add("assignments", f"folder source/{folder.name}/ is not listed as an assignment")
    return graded


def _folder_problems(folder: Path, ctx: _Ctx) -> list[tuple[tuple[str, str], float]]:
    """Check notebooks and data files of one assignment; returns ((notebook, grade_id), points)."""
    graded: list[tuple[tuple[str, str], float]] = []
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        ctx.add("notebooks", "assignment folder has no .ipynb notebook", f"source/{folder.name}/")
    for path in notebooks:
        rel = f"source/{folder.name}/{path.name}"
        for location, message in check_notebook(path):
            ctx.add(location, message, rel)
        for cell in notebook_cells(path):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and isinstance(meta.get("points"), int | float):
                graded.append(((path.stem, meta.get("grade_id", "")), float(meta["points"])))
    for path in sorted(folder.rglob("*")):
        limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_DATA_BYTES
        if path.is_file() and not path.is_symlink() and path.stat().st_size > limit:
            size = path.stat().st_size
            ctx.add(
                "size",
                f"file is {size} bytes (limit {limit})",
                str(path.relative_to(ctx.course_dir)),
            )
    return graded


def _schedule_problems(item: dict, where: str, ctx: _Ctx) -> None:
    sched = item["schedule"]
    if "due_after_days" in sched:
        opens = (sched["opens_after_days"], sched.get("open_time", "00:00"))
        due = (sched["due_after_days"], sched.get("due_time", "23:59"))
        if due <= opens:
            ctx.add(f"{where}.schedule", "due must be after opens")
    else:
        try:
            opens, due = (dt.datetime.fromisoformat(sched[k]) for k in ("opens_at", "due_at"))
        except ValueError as exc:
            ctx.add(f"{where}.schedule", f"not a valid date-time: {exc}")
            return
        if due <= opens:
            ctx.add(f"{where}.schedule", "due_at must be after opens_at")
    policy = item["late_policy"]
    cutoff = policy.get("cutoff_after_hours")
    if cutoff is not None and cutoff * 60 < policy["grace_minutes"]:
        ctx.add(
            f"{where}.late_policy.cutoff_after_hours",
            "hard cutoff must not fall inside the grace period",
        )


def _skill_problems(meta: dict, graded: dict[str, set], ctx: _Ctx) -> None:
    codes = set()
    for index, skill in enumerate(meta["skills"]):
        where = f"skills[{index}]({skill['code']})"
        if skill["code"] in codes:
            ctx.add(f"{where}.code", f"duplicate skill code {skill['code']!r}")
        codes.add(skill["code"])
        for j, ev in enumerate(skill["evidence"]):
            _evidence_problem(ev, graded, f"{where}.evidence[{j}]", ctx)


def _evidence_problem(ev: dict, graded: dict[str, set], where: str, ctx: _Ctx) -> None:
    name = ev["assignment"]
    if name not in graded:
        ctx.add(where, f"assignment {name!r} is not an assignment of this course")
        return
    cells = graded[name]
    if "notebook" in ev and ev["notebook"] not in {nb for nb, _ in cells}:
        ctx.add(where, f"notebook {ev['notebook']!r} has no graded cell in {name!r}")
        return
    if "grade_id" not in ev:
        return
    hits = [nb for nb, gid in cells if gid == ev["grade_id"] and ev.get("notebook", nb) == nb]
    if not hits:
        ctx.add(where, f"grade_id {ev['grade_id']!r} is not a graded cell of {name!r}")
    elif len(hits) > 1:
        ctx.add(
            where, f"grade_id {ev['grade_id']!r} is in several notebooks {hits}; add notebook ="
        )


def check_package(course_dir: Path, known_slugs: set[str] | None = None) -> list[Problem]:
    """Every problem of one package; ``known_slugs`` enables the prerequisite check."""
    ctx = _Ctx(course_dir, [])
    for path in sorted(course_dir.rglob("*")):
        if path.is_symlink():  # a package is plain files; a link could point anywhere on the server
            ctx.add("(file)", "symbolic links are not allowed", str(path.relative_to(course_dir)))
    if ctx.problems:
        return ctx.problems
    try:
        meta = load_course(course_dir)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        ctx.add("(file)", f"cannot read TOML: {exc}")
        return ctx.problems
    if not _schema_problems(meta, ctx):
        return ctx.problems
    if meta["slug"] != course_dir.name:
        ctx.add("slug", f"{meta['slug']!r} differs from the folder name {course_dir.name!r}")
    graded = _assignment_problems(meta, ctx)
    _skill_problems(meta, graded, ctx)
    for index, slug in enumerate(meta.get("prerequisites", [])):
        if slug == meta["slug"]:
            ctx.add(f"prerequisites[{index}]", "a course cannot require itself")
        elif known_slugs is not None and slug not in known_slugs:
            ctx.add(f"prerequisites[{index}]", f"no course {slug!r}")
    return ctx.problems


def check_tree(root: Path = COURSES) -> list[Problem]:
    """Check every package under ``root`` and that prerequisites form no cycle."""
    dirs = course_dirs(root)
    slugs = {d.name for d in dirs}
    problems = [p for d in dirs for p in check_package(d, slugs)]
    graph = {}
    for d in dirs:
        try:
            graph[d.name] = [s for s in load_course(d).get("prerequisites", []) if s in slugs]
        except (OSError, tomllib.TOMLDecodeError):
            graph[d.name] = []
    for slug in _cycle_members(graph):
        problems.append(
            Problem(f"{slug}/course.toml", "prerequisites", "prerequisites form a cycle")
        )
    return problems


def _cycle_members(graph: dict[str, list[str]]) -> list[str]:
    """Nodes on a cycle (Kahn's algorithm leaves exactly them)."""
    indegree = {n: 0 for n in graph}
    for targets in graph.values():
        for t in targets:
            indegree[t] = indegree.get(t, 0) + 1
    queue = [n for n, d in indegree.items() if d == 0]
    while queue:
        for t in graph.get(queue.pop(), []):
            indegree[t] -= 1
            if indegree[t] == 0:
                queue.append(t)
    return sorted(n for n, d in indegree.items() if d > 0)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        known = {d.name for d in course_dirs()} | {Path(a).name for a in args}
        problems = [p for a in args for p in check_package(Path(a), known)]
    else:
        problems = check_tree()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "all course packages are valid")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
