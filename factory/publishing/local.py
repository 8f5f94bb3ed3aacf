"""The local publish target: a folder laid out like a Hub dataset repository, with tags.

    <root>/datasets/<owner>/<name>/
        commits/<commit_id>/   one immutable snapshot per commit: exactly the release folder's files
        refs.json              branches and tags -> commit ids, and each commit's content hash
        main -> commits/<id>   the newest commit
        tags/<version> -> ../commits/<id>

A snapshot is written under a temporary name and renamed into place, and refs.json is replaced
atomically afterwards, so an interrupted publication leaves no partial release behind; a rerun
completes it. Commit ids derive from the parent and the content, so the rerun reuses the same id.
"""

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from factory.publishing.base import PublisherBase, PublishResult, VersionConflictError
from factory.publishing.manifest import Manifest, read_manifest
from factory.settings import PublishingSettings, factory_home

TARGET = "local"


def default_local_root() -> Path:
    return factory_home() / "hub"


class LocalPublisher(PublisherBase):
    """Publishes into `root` (the embedded default: `<FACTORY_HOME>/hub`)."""

    target = TARGET

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: PublishingSettings) -> "LocalPublisher":
        return cls(Path(settings.local_root) if settings.local_root else default_local_root())

    def repo_dir(self, repo_id: str) -> Path:
        owner, _, name = repo_id.partition("/")
        if not owner or not name or "/" in name or ".." in (owner, name):
            raise ValueError(f"repository id {repo_id!r} must look like 'owner/name'")
        return self.root / "datasets" / owner / name

    def tag_dir(self, repo_id: str, version: str) -> Path:
        return self.repo_dir(repo_id) / "tags" / version

    def read_refs(self, repo_id: str) -> dict[str, Any]:
        path = self.repo_dir(repo_id) / "refs.json"
        if not path.exists():
            return {"branches": {}, "tags": {}, "commits": {}}
        return json.loads(path.read_text())

    def publish(self, *, folder: Path, repo_id: str, version: str, message: str) -> PublishResult:
        manifest = read_manifest(folder)
        repo = self.repo_dir(repo_id)
        repo.mkdir(parents=True, exist_ok=True)
        with _locked(repo / ".lock"):
            refs = self.read_refs(repo_id)
            content = manifest.content_sha256
            tagged = refs["tags"].get(version)
            if tagged is not None:
                if refs["commits"][tagged]["content_sha256"] != content:
                    raise VersionConflictError(
                        f"{repo_id} already has version {version} with different content; "
                        "give the release a new version"
                    )
                return self._result(repo_id, version, tagged, manifest, False, False)

            head = refs["branches"].get("main")
            new_commit = head is None or refs["commits"][head]["content_sha256"] != content
            commit_id = head
            if new_commit:
                commit_id = _commit_id(head, content)
                self._write_snapshot(repo, commit_id, manifest)
                refs["commits"][commit_id] = {
                    "parent": head,
                    "content_sha256": content,
                    "message": message,
                    "date": datetime.now(UTC).isoformat(),
                }
                refs["branches"]["main"] = commit_id
            refs["tags"][version] = commit_id
            _write_json_atomically(repo / "refs.json", refs)
            _point(repo / "main", Path("commits") / commit_id)
            (repo / "tags").mkdir(exist_ok=True)
            _point(repo / "tags" / version, Path("..") / "commits" / commit_id)
            return self._result(repo_id, version, commit_id, manifest, new_commit, True)

    def published_blob_ids(self, repo_id: str, version: str) -> dict[str, str] | None:
        tag = self.tag_dir(repo_id, version)
        if not tag.exists():
            return None
        return read_manifest(tag.resolve()).blob_ids()

    def _write_snapshot(self, repo: Path, commit_id: str, manifest: Manifest) -> None:
        final = repo / "commits" / commit_id
        if final.exists():  # left by an interrupted run with the same parent and content
            return
        staging = repo / "commits" / f".tmp-{commit_id}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        for item in manifest.files:
            target = staging / item.path_in_repo
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item.local_path, target)
        staging.rename(final)

    def _url(self, repo_id: str, version: str) -> str:
        """Where a consumer finds `repo_id` at tag `version`."""
        return self.tag_dir(repo_id, version).as_uri()


def _commit_id(parent: str | None, content_sha256: str) -> str:
    return hashlib.sha256(f"{parent or ''}\n{content_sha256}".encode()).hexdigest()[:40]


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(staging, path)


def _point(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target`, replacing any previous link atomically."""
    staging = link.with_name(f".{link.name}.tmp")
    staging.unlink(missing_ok=True)
    staging.symlink_to(target)
    os.replace(staging, link)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One publication per repository at a time, across processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
