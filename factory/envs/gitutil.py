"""Git on the host, on repositories nobody vetted: plumbing only, with no hooks, no user or
system configuration, and no pager or credential helper that could run a program. Nothing here
checks code out with filters or runs anything from the repository."""

import os
import subprocess
from pathlib import Path

from factory.errors import FactoryUserError

_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_ASKPASS": "true",
    "LC_ALL": "C",
}
# Configuration that keeps the repository's own files from choosing what runs.
_SAFE = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "gc.auto=0"]


class GitError(FactoryUserError):
    """A git command failed; the message carries what git said."""


def git_bytes(
    *args: str,
    cwd: Path | None = None,
    input: bytes | None = None,
    index: Path | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 300,
) -> bytes:
    """Run git; its stdout. `index` gives git its own index file, leaving the repository's."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.devnull, **_GIT_ENV}
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    env.update(extra_env or {})
    done = subprocess.run(
        ["git", *_SAFE, *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed: {' '.join(said[-3:])}")
    return done.stdout


def git(
    *args: str, cwd: Path | None = None, index: Path | None = None, timeout: float = 300
) -> str:
    return git_bytes(*args, cwd=cwd, index=index, timeout=timeout).decode("utf-8", "replace")
