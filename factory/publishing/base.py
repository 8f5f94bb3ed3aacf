"""The publisher interface both targets implement, and what a publication reports back."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from factory.errors import FactoryUserError
from factory.publishing.manifest import Manifest


class PublishError(RuntimeError):
    """Publishing failed; the message never contains a credential."""


class VersionConflictError(FactoryUserError):
    """The version is already published with different content: bump the release version."""


@dataclass(frozen=True, slots=True)
class PublishResult:
    target: str  # local | hub
    repo_id: str
    version: str  # also the tag name
    commit_id: str
    url: str  # where a consumer finds the tagged release
    content_sha256: str
    files: int
    bytes: int
    new_commit: bool  # False when the content was already there
    new_tag: bool


class Publisher(Protocol):
    target: str

    def publish(self, *, folder: Path, repo_id: str, version: str, message: str) -> PublishResult:
        """Make `folder` the content of `repo_id` in one commit tagged `version` (idempotent)."""
        ...

    def published_blob_ids(self, repo_id: str, version: str) -> dict[str, str] | None:
        """{path: git blob id} of what `repo_id` holds at tag `version`, read back from the
        target; None when there is no such tag."""
        ...


class PublisherBase(ABC):
    """What both targets share: the one way a publication's `PublishResult` is built."""

    target: str

    @abstractmethod
    def _url(self, repo_id: str, version: str) -> str:
        """Where a consumer finds `repo_id` at tag `version`."""

    def _result(
        self,
        repo_id: str,
        version: str,
        commit_id: str,
        manifest: Manifest,
        new_commit: bool,
        new_tag: bool,
    ) -> PublishResult:
        return PublishResult(
            target=self.target,
            repo_id=repo_id,
            version=version,
            commit_id=commit_id,
            url=self._url(repo_id, version),
            content_sha256=manifest.content_sha256,
            files=len(manifest.files),
            bytes=manifest.total_bytes,
            new_commit=new_commit,
            new_tag=new_tag,
        )
