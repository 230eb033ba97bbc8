"""The content-addressed blob store."""

from __future__ import annotations

import pytest

from lms.storage import BlobNotFound, LocalBlobStore, sha256_hex


def test_put_is_idempotent_and_content_addressed(tmp_path):
    store = LocalBlobStore(tmp_path)
    sha = store.put(b"notebook")
    assert sha == sha256_hex(b"notebook") == store.put(b"notebook")
    assert store.get(sha) == b"notebook" and store.exists(sha)
    assert store.local_path(sha).read_bytes() == b"notebook"


def test_missing_blobs_and_bad_names_are_errors(tmp_path):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(BlobNotFound):
        store.get("0" * 64)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_a_tree_round_trips(tmp_path):
    source = tmp_path / "src"
    (source / "data").mkdir(parents=True)
    (source / "lab.ipynb").write_text("{}")
    (source / "data" / "x.csv").write_text("a,b\n")
    store = LocalBlobStore(tmp_path / "blobs")
    manifest = store.put_tree(source)
    tree = store.tree_path(manifest)
    assert (tree / "lab.ipynb").read_text() == "{}"
    assert (tree / "data" / "x.csv").read_text() == "a,b\n"
    assert store.tree_path(manifest) == tree


def test_a_tree_with_a_symlink_is_refused(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "link").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="plain file"):
        LocalBlobStore(tmp_path / "blobs").put_tree(source)
