"""What a release folder holds, file by file, and one hash for all of it.

Both targets compare this manifest with what they already hold, so publishing unchanged content
makes no new commit.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from factory.errors import FactoryUserError


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    path_in_repo: str  # POSIX path relative to the release folder
    local_path: Path
    size: int
    sha256: str
    git_sha1: str  # the blob id git (and the Hub) gives this content


@dataclass(frozen=True, slots=True)
class Manifest:
    files: tuple[ReleaseFile, ...]

    @property
    def content_sha256(self) -> str:
        """One hash over every (path, content hash) pair, independent of file timestamps."""
        digest = hashlib.sha256()
        for item in self.files:
            digest.update(f"{item.path_in_repo}\0{item.sha256}\n".encode())
        return digest.hexdigest()

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.files)

    def blob_ids(self) -> dict[str, str]:
        return {item.path_in_repo: item.git_sha1 for item in self.files}


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def read_manifest(folder: Path) -> Manifest:
    """List every regular file under `folder` (hidden files and symlinks excluded), sorted."""
    if not folder.is_dir():
        raise FactoryUserError(f"release folder {folder} does not exist; package the release first")
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
            continue
        if not path.is_file():
            continue
        content = path.read_bytes()
        files.append(
            ReleaseFile(
                path_in_repo=relative.as_posix(),
                local_path=path,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                git_sha1=git_blob_sha1(content),
            )
        )
    if not files:
        raise FactoryUserError(f"release folder {folder} is empty; package the release first")
    return Manifest(tuple(files))
