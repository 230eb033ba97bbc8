"""Blob storage: content-addressed bytes (submissions, releases, grading templates).

A blob is named by the SHA-256 of its bytes, so storing the same bytes twice stores them once
and a stored blob never changes. A *tree* (a released assignment folder) is stored as its files'
blobs plus a manifest blob (JSON ``{"tree": {relative path: sha256}}``); the manifest's hash
names the tree.

Contract of a backend (:class:`BlobStore`): ``put`` is atomic and idempotent and returns the
hash; ``get`` returns exactly the stored bytes or raises :class:`BlobNotFound`; ``local_path``
gives a file the grading worker can read (the local backend: the blob itself; a remote backend
(S3-compatible, later) would download into a cache first). Nothing is ever deleted by the portal.

Backend: :class:`LocalBlobStore`, a directory (``LMS_BLOB_DIR``, default
``<instance>/blobs``) laid out as ``<aa>/<sha256>``, files mode 0400 after writing.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

_SHA = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(LookupError):
    """No blob with this hash is stored."""


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data`` (the name a blob gets)."""
    return hashlib.sha256(data).hexdigest()


def check_sha(sha: str) -> str:
    """``sha`` if it is a 64-hex-digit hash, else ValueError (never a path fragment)."""
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise ValueError(f"not a blob hash: {sha!r}")
    return sha


class BlobStore(abc.ABC):
    """Content-addressed storage; see the module docstring for the contract."""

    @abc.abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` (atomic, idempotent) and return its SHA-256 hex."""

    @abc.abstractmethod
    def get(self, sha: str) -> bytes:
        """The stored bytes; raises BlobNotFound."""

    @abc.abstractmethod
    def exists(self, sha: str) -> bool:
        """Whether the blob is stored."""

    @abc.abstractmethod
    def local_path(self, sha: str) -> Path:
        """A local, read-only file holding the blob (for the grading worker)."""

    @abc.abstractmethod
    def tree_path(self, manifest_sha: str) -> Path:
        """A local directory holding the tree named by ``manifest_sha`` (made once)."""

    def put_tree(self, folder: Path) -> str:
        """Store every regular file under ``folder`` and return the manifest's hash.

        Symbolic links and special files are refused (ValueError): a tree is plain files.
        """
        tree: dict[str, str] = {}
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                raise ValueError(f"{path.relative_to(folder)}: not a plain file")
            if path.is_file():
                tree[path.relative_to(folder).as_posix()] = self.put(path.read_bytes())
        return self.put(json.dumps({"tree": tree}, sort_keys=True).encode())

    def read_manifest(self, manifest_sha: str) -> dict[str, str]:
        """``{relative path: sha}`` of a stored tree."""
        data = json.loads(self.get(manifest_sha))
        tree = data.get("tree") if isinstance(data, dict) else None
        if not isinstance(tree, dict):
            raise ValueError(f"blob {manifest_sha} is not a tree manifest")
        return tree


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root``; trees materialised under ``root/trees/<sha>``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, sha: str) -> Path:
        check_sha(sha)
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        target = self._path(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o400)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str) -> bytes:
        try:
            return self._path(sha).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha) from None

    def exists(self, sha: str) -> bool:
        return self._path(sha).is_file()

    def local_path(self, sha: str) -> Path:
        path = self._path(sha)
        if not path.is_file():
            raise BlobNotFound(sha)
        return path

    def tree_path(self, manifest_sha: str) -> Path:
        target = self.root / "trees" / check_sha(manifest_sha)
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
        for rel, sha in self.read_manifest(manifest_sha).items():
            dest = staging / rel
            if ".." in Path(rel).parts or Path(rel).is_absolute():
                raise ValueError(f"unsafe path in tree manifest: {rel!r}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(self.get(sha))
        try:
            os.rename(staging, target)  # atomic; a concurrent maker may have won
        except OSError:
            _remove_tree(staging)
        return target


def _remove_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


def blob_store() -> BlobStore:
    """The configured store of the current app (``LMS_BLOB_DIR`` or ``<instance>/blobs``)."""
    root = current_app.config.get("LMS_BLOB_DIR") or os.environ.get("LMS_BLOB_DIR")
    return LocalBlobStore(root or Path(current_app.instance_path) / "blobs")
