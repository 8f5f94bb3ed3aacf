"""The publisher interface both targets implement, and what a publication reports back."""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from factory.errors import FactoryUserError


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
