"""A task's base checkout as the environment holds it: the files of the base commit and a git
repository with exactly one commit re-created from them. No remote, no tags or other refs, no
reflog, no hooks: nothing from which a newer state of the project could be read."""

import io
import tarfile
import tempfile
from pathlib import Path

from factory.envs.gitutil import git, git_bytes

RUN_UID = 65534  # the environment's user (nobody), who owns the checkout
# A fixed identity and date: the same base always gives the same single commit.
_IDENTITY = ["-c", "user.name=factory", "-c", "user.email=factory@localhost"]
_EPOCH = "1700000000 +0000"


def base_checkout(git_dir: Path, commit: str, dest: Path) -> None:
    """The files of `commit` written to `dest` (checkout-index: no filters, no export-ignore)."""
    index = dest.parent / f".{dest.name}.index"
    try:
        git("read-tree", commit, cwd=git_dir, index=index)
        git(f"--work-tree={dest}", "checkout-index", "--all", "--force", cwd=git_dir, index=index)
    finally:
        index.unlink(missing_ok=True)


def single_commit_repo(tree: Path) -> str:
    """Make `tree` a repository with one commit holding every file in it; that commit's id."""
    git("init", "--quiet", "--initial-branch=main", "--template=", str(tree))
    git("config", "core.logAllRefUpdates", "false", cwd=tree)
    git("add", "--all", "--force", ".", cwd=tree)
    tree_id = git("write-tree", cwd=tree).strip()
    dates = {"GIT_AUTHOR_DATE": _EPOCH, "GIT_COMMITTER_DATE": _EPOCH}
    commit = (
        git_bytes(*_IDENTITY, "commit-tree", tree_id, "-m", "base", cwd=tree, extra_env=dates)
        .decode()
        .strip()
    )
    git("update-ref", "--no-deref", "refs/heads/main", commit, cwd=tree)
    for leftover in ("logs", "hooks", "description", "COMMIT_EDITMSG", "ORIG_HEAD"):
        path = tree / ".git" / leftover
        if path.is_dir():
            for sub in sorted(path.rglob("*"), reverse=True):
                sub.unlink() if not sub.is_dir() else sub.rmdir()
            path.rmdir()
        elif path.exists():
            path.unlink()
    (tree / ".git" / "info").mkdir(exist_ok=True)
    (tree / ".git" / "info" / "exclude").touch()
    return commit


def workspace_tar(git_dir: Path, commit: str) -> bytes:
    """The base checkout with its single-commit repository, as a tar owned by the run user."""
    with tempfile.TemporaryDirectory(prefix="factory-ws-") as tmp:
        tree = Path(tmp) / "repo"
        tree.mkdir()
        base_checkout(git_dir, commit, tree)
        single_commit_repo(tree)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.add(tree, arcname=".", filter=_owned_by_run_user)
        return buffer.getvalue()


def _owned_by_run_user(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = RUN_UID
    info.uname = info.gname = ""
    if info.isdir():
        info.mode |= 0o700
    return info


def tree_has(git_dir: Path, commit: str, paths: list[str]) -> list[str]:
    """Which of `paths` exist at `commit`."""
    if not paths:
        return []
    listed = git("ls-tree", "-r", "--name-only", commit, "--", *paths, cwd=git_dir)
    present = set(listed.splitlines())
    return [p for p in paths if p in present]
