"""The local publish target: Hub-like layout, tags, no commit for unchanged content, version
conflicts, and an interrupted publication that leaves no partial release and completes on rerun."""

import json
from pathlib import Path

import datasets
import pytest
from stand_ins.release_folder import REPO_ID, write_release

from factory.publishing import local
from factory.publishing.base import VersionConflictError
from factory.publishing.local import LocalPublisher
from factory.publishing.manifest import read_manifest
from factory.settings import PublishingSettings


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_first_publication_writes_commit_tag_and_refs(tmp_path: Path, release_folder: Path) -> None:
    publisher = LocalPublisher(tmp_path / "hub")
    result = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")

    repo = tmp_path / "hub" / "datasets" / "factory-test" / "code-rlhf"
    assert result.new_commit and result.new_tag
    assert result.url == (repo / "tags" / "v1").as_uri()
    assert _tree(repo / "tags" / "v1") == _tree(release_folder)
    assert (repo / "main").resolve() == (repo / "commits" / result.commit_id).resolve()
    refs = json.loads((repo / "refs.json").read_text())
    assert refs["tags"] == {"v1": result.commit_id}
    assert refs["commits"][result.commit_id]["content_sha256"] == result.content_sha256
    assert result.files == 6


def test_unchanged_content_makes_no_new_commit(tmp_path: Path, release_folder: Path) -> None:
    publisher = LocalPublisher(tmp_path / "hub")
    first = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    again = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    retagged = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v2", message="m")

    assert (again.new_commit, again.new_tag) == (False, False)
    assert (retagged.new_commit, retagged.new_tag) == (False, True)
    assert first.commit_id == again.commit_id == retagged.commit_id
    commits = publisher.read_refs(REPO_ID)["commits"]
    assert list(commits) == [first.commit_id]


def test_changed_content_is_a_new_commit_and_old_tags_keep_their_content(
    tmp_path: Path, release_folder: Path
) -> None:
    publisher = LocalPublisher(tmp_path / "hub")
    first = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    old_tree = _tree(publisher.tag_dir(REPO_ID, "v1"))
    changed = write_release(tmp_path / "changed", rows=6, note=" v2")
    second = publisher.publish(folder=changed, repo_id=REPO_ID, version="v2", message="m")

    assert second.new_commit and second.commit_id != first.commit_id
    assert _tree(publisher.tag_dir(REPO_ID, "v1")) == old_tree
    assert _tree(publisher.tag_dir(REPO_ID, "v2")) == _tree(changed)
    assert publisher.read_refs(REPO_ID)["commits"][second.commit_id]["parent"] == first.commit_id


def test_same_version_with_other_content_is_refused(tmp_path: Path, release_folder: Path) -> None:
    publisher = LocalPublisher(tmp_path / "hub")
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    changed = write_release(tmp_path / "changed", rows=2, note=" other")
    with pytest.raises(VersionConflictError, match="already has version v1"):
        publisher.publish(folder=changed, repo_id=REPO_ID, version="v1", message="m")


def test_interrupted_publication_leaves_no_release_and_rerun_completes(
    tmp_path: Path, release_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = LocalPublisher(tmp_path / "hub")

    def crash(path: Path, data: dict) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(local, "_write_json_atomically", crash)
    with pytest.raises(OSError, match="disk full"):
        publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    assert publisher.read_refs(REPO_ID)["tags"] == {}
    assert not publisher.tag_dir(REPO_ID, "v1").exists()

    monkeypatch.undo()
    result = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    assert result.new_tag
    assert _tree(publisher.tag_dir(REPO_ID, "v1")) == _tree(release_folder)
    commits = publisher.repo_dir(REPO_ID) / "commits"
    assert sorted(p.name for p in commits.iterdir()) == [result.commit_id]


def test_default_root_is_under_factory_home(_isolated_factory_home: Path) -> None:
    publisher = LocalPublisher.from_settings(PublishingSettings())
    assert publisher.root == _isolated_factory_home / "hub"


@pytest.mark.parametrize("repo_id", ["no-owner", "a/b/c", "../x", ""])
def test_repo_id_must_be_owner_and_name(tmp_path: Path, repo_id: str) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        LocalPublisher(tmp_path).repo_dir(repo_id)


def test_a_consumer_loads_the_tagged_release_with_datasets(
    tmp_path: Path, release_folder: Path
) -> None:
    publisher = LocalPublisher(tmp_path / "hub")
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    loaded = datasets.load_dataset(
        str(publisher.tag_dir(REPO_ID, "v1")), "dpo", cache_dir=str(tmp_path / "cache")
    )
    assert loaded["train"].num_rows == 4
    assert loaded["test"]["id"] == ["test-0"]
    assert read_manifest(publisher.tag_dir(REPO_ID, "v1")).content_sha256 == (
        read_manifest(release_folder).content_sha256
    )
