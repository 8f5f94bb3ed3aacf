"""Small real git repositories for the environment tests, built commit by commit."""

import os
import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.org",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class RepoBuilder:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.clock = 1_700_000_000

    def git(self, *args: str) -> str:
        self.clock = getattr(self, "clock", 1_700_000_000) + 60
        env = {**os.environ, **_ENV, "GIT_AUTHOR_DATE": f"{self.clock} +0000"}
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"]
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            path = self.path / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, message: str, files: dict[str, str | None]) -> str:
        """A branch with one commit, merged with --no-ff (a pull request's shape)."""
        self.git("checkout", "-q", "-b", branch)
        self.commit(f"work on {branch}", files)
        self.git("checkout", "-q", "main")
        self.git("merge", "-q", "--no-ff", "-m", message, branch)
        return self.git("rev-parse", "HEAD")


ADDER = "def add(a, b):\n    return a - b\n"
ADDER_FIXED = "def add(a, b):\n    return a + b\n"
TEST_ADDER = "from adder import add\n\n\ndef test_small():\n    assert add(0, 0) == 0\n"
TEST_ADDER_MORE = TEST_ADDER + "\n\ndef test_adds():\n    assert add(2, 3) == 5\n"
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "adder"
version = "1.0"
requires-python = ">=3.8"

[tool.setuptools]
py-modules = ["adder"]
"""


def adder_repo(path: Path) -> RepoBuilder:
    """A project whose bug fix (with its regression test) arrives as a merged pull request."""
    repo = RepoBuilder(path)
    repo.commit("Start the adder", {"pyproject.toml": PYPROJECT, "adder.py": ADDER,
                                    "tests/test_adder.py": TEST_ADDER})  # fmt: skip
    repo.git("tag", "v1.2.0")
    repo.commit("Document the adder in the README file", {"README.md": "# adder\n"})
    repo.merge(
        "fix-add",
        "Merge pull request #12 from dev/fix-add\n\nadd() subtracts instead of adding "
        "(#12)\n\nSee https://github.com/dev/adder/issues/11 for the report.\n\n"
        "Signed-off-by: dev <dev@example.org>",
        {"adder.py": ADDER_FIXED, "tests/test_adder.py": TEST_ADDER_MORE},
    )
    return repo
