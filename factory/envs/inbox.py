"""The repository inbox: git bundles, and lists of repositories (one path or URL a line), dropped
into `<inbox>/repos/`. Each repository is named by its snapshot (`name@head`), read with
`git ls-remote`, so the same history dropped twice is one snapshot and a moved head is a new one."""

import time
from dataclasses import dataclass
from pathlib import Path

from factory.envs.gitutil import GitError
from factory.envs.source import remote_head, repo_name

BUNDLE_SUFFIX = ".bundle"
LIST_SUFFIXES = (".repos", ".txt")


@dataclass(frozen=True, slots=True)
class InboxRepository:
    source: str
    snapshot_id: str
    found_in: str  # the inbox file that named it


def repo_inbox(inbox: Path) -> Path:
    return inbox / "repos"


def snapshot_id_of(source: str) -> str:
    """`name@head12` of a bundle, a repository path or a URL, without copying its history."""
    return f"{repo_name(source)}@{remote_head(source)[:12]}"


def scan_repo_inbox(
    folder: Path, *, settle_seconds: float = 0.0
) -> tuple[list[InboxRepository], list[str], list[Path]]:
    """Repositories named in `folder`, the problems met (file and reason), and files too fresh
    to read yet (still being copied in). Hidden files are partial uploads and skipped."""
    if not folder.is_dir():
        return [], [], []
    found: list[InboxRepository] = []
    problems: list[str] = []
    settling: list[Path] = []
    now = time.time()
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if not path.name.endswith((BUNDLE_SUFFIX, *LIST_SUFFIXES)):
            continue
        if now - path.stat().st_mtime < settle_seconds:
            settling.append(path)
            continue
        if path.name.endswith(BUNDLE_SUFFIX):
            sources = [str(path.resolve())]
        else:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            sources = [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]
        for source in sources:
            try:
                found.append(InboxRepository(source, snapshot_id_of(source), path.name))
            except GitError as exc:
                problems.append(f"{path.name}: {source}: {exc}")
    return found, problems, settling
