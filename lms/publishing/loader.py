"""Loading and validating a course package folder (``courses/README.md``).

Validation reuses ``courses/_tools/check_courses.py: check_package`` (schema, notebooks,
cross-references), so the CLI, the upload form and the repository's own checker report the
same problems, each naming the file, the location (cell, field) and what is wrong.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from flask_babel import lazy_gettext as _l

from lms.errors import ValidationError

CHECKER = Path(__file__).resolve().parents[2] / "courses" / "_tools" / "check_courses.py"
MAX_PACKAGE_FILES = 500


class PackageInvalid(ValidationError):
    """The package has problems; ``problems`` lists ``"file: location: message"`` lines."""

    def __init__(self, problems: list[str]) -> None:
        summary = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
        super().__init__(
            "package_invalid",
            _l("The course package is not valid: %(problems)s", problems=summary),
            "package",
        )
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["error"]["problems"] = self.problems
        return body


@dataclass(frozen=True)
class Package:
    """A validated package: its folder, parsed ``course.toml`` and content hash."""

    path: Path
    meta: dict[str, Any]
    content_hash: str

    @property
    def slug(self) -> str:
        return self.meta["slug"]


@cache
def _checker() -> ModuleType:
    # courses/ is data, not a package: load the checker from its file (it adds its own
    # folder to sys.path for its helper module).
    spec = importlib.util.spec_from_file_location("lms_course_checker", CHECKER)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"course checker not found at {CHECKER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def package_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue  # editor and OS litter (.ipynb_checkpoints, .DS_Store) is not content
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_package(path: str | Path, known_slugs: set[str] | None = None) -> Package:
    """Validate the package at ``path`` and return it.

    ``known_slugs``: the courses prerequisites may name. Raises ``PackageInvalid`` listing
    every problem (``file: location: message``), or when ``path`` is not a package folder.
    """
    folder = Path(path)
    if not (folder / "course.toml").is_file():
        raise PackageInvalid([f"{folder.name}: (folder): no course.toml here"])
    if sum(1 for _ in folder.rglob("*")) > MAX_PACKAGE_FILES:
        raise PackageInvalid([f"{folder.name}: (folder): more than {MAX_PACKAGE_FILES} files"])
    checker = _checker()
    problems = checker.check_package(folder, known_slugs)
    if problems:
        raise PackageInvalid([str(p) for p in problems])
    return Package(folder, checker.load_course(folder), package_hash(folder))
