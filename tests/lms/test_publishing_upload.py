"""Publishing from an uploaded zip: unpacked safely, then the same publish."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from lms.publishing.loader import PackageInvalid
from lms.publishing.upload import publish_zip
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    PACKAGE,
    app_config,
    blob_dir,
    fast_release,
)


def _zip(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _package_entries(prefix: str) -> dict[str, bytes]:
    return {
        f"{prefix}{path.relative_to(PACKAGE).as_posix()}": path.read_bytes()
        for path in PACKAGE.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("prefix", ["", "whatever-the-folder-is-called/"])
def test_a_zipped_package_is_published(app, prefix):
    version, created = publish_zip(None, _zip(_package_entries(prefix)))
    assert created and version.course.slug == "ai-foundations"
    assert [a.name for a in version.assignments] == [
        "lab01-python-numpy",
        "lab02-pandas-production",
    ]


def test_unsafe_entries_are_refused_by_name(app):
    entries = _package_entries("") | {"../evil.py": b"x", "/abs.txt": b"y"}
    with pytest.raises(PackageInvalid) as info:
        publish_zip(None, _zip(entries, links=("source/link",)))
    text = "\n".join(info.value.problems)
    assert "../evil.py: unsafe path" in text and "/abs.txt: unsafe path" in text
    assert "source/link: links and special files are not allowed" in text


def test_not_a_zip_and_no_course_toml_are_clear_errors(app):
    with pytest.raises(PackageInvalid, match="not a zip"):
        publish_zip(None, b"plain text")
    with pytest.raises(PackageInvalid, match="no course.toml"):
        publish_zip(None, _zip({"a/readme.md": b"hi", "b/other.md": b"x"}))
