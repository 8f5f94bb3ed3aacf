"""Where a repository comes from (a local path, a git bundle, or a URL the machine reaches) and
the bare copy of it the factory keeps per snapshot: one head commit, never changed afterwards."""

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from factory.envs.gitutil import GitError, git
from factory.errors import FactoryUserError
from factory.settings import factory_home

_URL = re.compile(r"^(?:https?|git|ssh)://|^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A repository at one head commit, kept as a bare repository under the factory's home."""

    name: str
    source: str
    head: str
    git_dir: Path

    @property
    def id(self) -> str:
        return f"{self.name}@{self.head[:12]}"


def repos_root() -> Path:
    return factory_home() / "envs" / "repos"


def repo_name(source: str) -> str:
    """The repository's short name: the last path component without .git or .bundle."""
    tail = source.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    for suffix in (".bundle", ".git"):
        tail = tail.removesuffix(suffix)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", tail).strip("-.")
    if not name:
        raise FactoryUserError(f"repository {source!r}: cannot tell its name from the path")
    return name


def open_snapshot(source: str, *, root: Path | None = None) -> Snapshot:
    """Copy `source` (path, bundle or URL) into a bare repository named after its head commit.

    The same head is copied once: a second call finds the snapshot already there.
    """
    root = root or repos_root()
    if not _URL.match(source):
        path = Path(source).expanduser()
        if not path.exists():
            raise FactoryUserError(f"repository {source!r}: no such file or directory")
        source = str(path.resolve())
    name = repo_name(source)
    root.mkdir(parents=True, exist_ok=True)
    try:
        head = remote_head(source)
    except GitError as exc:
        raise FactoryUserError(f"repository {source!r}: {exc}") from exc
    known = root / f"{name}@{head[:12]}.git"
    if known.is_dir():  # this head was copied before: no second clone
        return Snapshot(name=name, source=source, head=head, git_dir=known)
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{name}-") as tmp:
        bare = Path(tmp) / "repo.git"
        try:
            git("clone", "--quiet", "--bare", "--no-hardlinks", source, str(bare), timeout=1800)
            head = git("rev-parse", "--verify", "HEAD^{commit}", cwd=bare).strip()
        except GitError as exc:
            raise FactoryUserError(f"repository {source!r}: {exc}") from exc
        target = root / f"{name}@{head[:12]}.git"
        if not target.exists():
            bare.rename(target)
    return Snapshot(name=name, source=source, head=head, git_dir=target)


def remote_head(source: str) -> str:
    """The commit HEAD names in a bundle, a repository path or at a URL, without copying it."""
    listed = git("ls-remote", source, "HEAD", timeout=120).split()
    if not listed:
        raise GitError(f"{source}: no HEAD to take the history from")
    return listed[0]


def existing_snapshot(snapshot_id: str, source: str, *, root: Path | None = None) -> Snapshot:
    """A snapshot opened earlier, from its id (`name@head12`)."""
    root = root or repos_root()
    git_dir = root / f"{snapshot_id}.git"
    if not git_dir.is_dir():
        raise FactoryUserError(
            f"repository snapshot {snapshot_id!r} is not on this machine ({git_dir}); "
            f"run `factory envs build {source}` again"
        )
    head = git("rev-parse", "--verify", "HEAD^{commit}", cwd=git_dir).strip()
    return Snapshot(name=snapshot_id.split("@")[0], source=source, head=head, git_dir=git_dir)


def remove_snapshot(snapshot: Snapshot) -> None:
    shutil.rmtree(snapshot.git_dir, ignore_errors=True)
