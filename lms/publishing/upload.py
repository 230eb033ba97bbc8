"""Publishing from an uploaded zip archive (the instructors' upload form).

The archive is unpacked into a temporary folder with every entry checked first: no absolute
paths or ``..``, no links or special files, at most ``MAX_FILES`` files and
``MAX_UNPACKED_BYTES`` in total (a zip bomb is refused before anything is written). The package
may sit at the top of the archive or inside one folder (``<slug>/course.toml``); the folder is
renamed to the slug that ``course.toml`` names, so the slug/folder check of the validator
applies to the metadata, not to how the archive was made.
"""

from __future__ import annotations

import io
import stat
import tempfile
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

from lms.accounts.models import User
from lms.publishing.loader import PackageInvalid
from lms.publishing.models import CourseVersion
from lms.publishing.services import publish

MAX_ARCHIVE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_FILES = 500


def publish_zip(actor: User | None, data: bytes) -> tuple[CourseVersion, bool]:
    """Unpack ``data`` (a zip of one course package) safely and ``publish`` it.

    Raises ``PackageInvalid`` for an archive that is not a zip, too large, or holds unsafe
    entries (each named), and everything ``publish`` raises. Flushes, never commits.
    """
    if len(data) > MAX_ARCHIVE_BYTES:
        raise PackageInvalid([f"(upload): (archive): larger than {MAX_ARCHIVE_BYTES} bytes"])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageInvalid(["(upload): (archive): not a zip file"]) from None
    with archive, tempfile.TemporaryDirectory(prefix="lms-upload-") as scratch:
        members = _checked_members(archive)
        root = Path(scratch) / "unpacked"
        for info, rel in members:
            target = root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
        return publish(actor, _package_folder(root, Path(scratch)))


def _checked_members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    problems, members, total = [], [], 0
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES:
        raise PackageInvalid([f"(upload): (archive): more than {MAX_FILES} files"])
    for info in infos:
        rel = PurePosixPath(info.filename)
        file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool kept none
        if rel.is_absolute() or ".." in rel.parts or "\\" in info.filename:
            problems.append(f"(upload): {info.filename}: unsafe path")
        elif file_type and file_type != stat.S_IFREG:
            problems.append(f"(upload): {info.filename}: links and special files are not allowed")
        elif rel.parts and rel.parts[0] in ("__MACOSX",):
            continue
        else:
            total += info.file_size
            members.append((info, rel))
    if total > MAX_UNPACKED_BYTES:
        problems.append(f"(upload): (archive): unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    if problems:
        raise PackageInvalid(problems)
    return members


def _package_folder(root: Path, scratch: Path) -> Path:
    """The unpacked package folder, renamed to the slug its course.toml names."""
    if (root / "course.toml").is_file():
        folder = root
    else:
        subfolders = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
        if len(subfolders) != 1 or not (subfolders[0] / "course.toml").is_file():
            raise PackageInvalid(
                ["(upload): (archive): no course.toml at the top or in one folder"]
            )
        folder = subfolders[0]
    try:
        slug = tomllib.loads((folder / "course.toml").read_text(encoding="utf-8")).get("slug")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PackageInvalid([f"(upload): course.toml: cannot read TOML: {exc}"]) from None
    if not isinstance(slug, str) or not slug or "/" in slug or slug.startswith("."):
        return folder  # the validator reports the bad slug with its location
    target = scratch / "package" / slug
    target.parent.mkdir()
    return folder.rename(target)
