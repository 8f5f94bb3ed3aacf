"""Release manifests: which files a release holds and the content hash that detects changes."""

import os
from pathlib import Path

import pytest

from factory.errors import FactoryUserError
from factory.publishing.manifest import git_blob_sha1, read_manifest


def _folder(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def test_lists_regular_files_sorted_and_skips_hidden_ones(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"b.txt": "b", "a/x.txt": "x", ".cache/y": "y", ".hidden": "h"})
    manifest = read_manifest(folder)
    assert [item.path_in_repo for item in manifest.files] == ["a/x.txt", "b.txt"]
    assert manifest.total_bytes == 2


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ({"a.txt": "1"}, {"a.txt": "1"}, True),
        ({"a.txt": "1"}, {"a.txt": "2"}, False),
        ({"a.txt": "1"}, {"b.txt": "1"}, False),
        ({"a.txt": "1"}, {"a.txt": "1", "b.txt": ""}, False),
    ],
)
def test_content_hash_follows_paths_and_content(
    tmp_path: Path, before: dict[str, str], after: dict[str, str], same: bool
) -> None:
    first = read_manifest(_folder(tmp_path / "one", before))
    second = read_manifest(_folder(tmp_path / "two", after))
    assert (first.content_sha256 == second.content_sha256) is same


def test_content_hash_ignores_timestamps(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"a.txt": "1"})
    before = read_manifest(folder).content_sha256
    os.utime(folder / "a.txt", (0, 0))
    assert read_manifest(folder).content_sha256 == before


def test_git_blob_sha1_matches_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_missing_or_empty_folder_is_a_user_error(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "release"
    if make == "empty":
        folder.mkdir()
    with pytest.raises(FactoryUserError, match="package the release first"):
        read_manifest(folder)
