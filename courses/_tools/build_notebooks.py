"""Write the starter curriculum's nbgrader source notebooks from the specs in ``specs/``.

Usage (from the repository root)::

    python courses/_tools/build_notebooks.py            # (re)write every notebook
    python courses/_tools/build_notebooks.py --check    # exit 1 if a committed notebook differs

Each ``specs/*.py`` module defines ``COURSE`` (course slug), ``ASSIGNMENT`` (nbgrader
assignment id), ``NOTEBOOK`` (file stem) and ``CELLS`` (a list built with ``nbcells``). The
output is ``courses/<COURSE>/source/<ASSIGNMENT>/<NOTEBOOK>.ipynb``. The committed notebooks are
the source of truth for the portal; this script only makes them reproducible and reviewable.
Notebooks are written without outputs, with deterministic cell ids, so re-running is a no-op.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import nbformat

TOOLS = Path(__file__).resolve().parent
COURSES = TOOLS.parent
sys.path.insert(0, str(TOOLS))

from nbcells import notebook  # noqa: E402


def load_specs() -> list:
    """Import every spec module in ``specs/`` (sorted by file name)."""
    modules = []
    for path in sorted((TOOLS / "specs").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"lab_spec_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def render(module) -> tuple[Path, str]:
    """Return the target path and the notebook JSON text for one spec module."""
    target = COURSES / module.COURSE / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"
    return target, nbformat.writes(notebook(module.CELLS)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for module in load_specs():
        target, text = render(module)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.relative_to(COURSES.parent))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(COURSES.parent)}")
    for path in stale:
        print(f"differs from its spec: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
