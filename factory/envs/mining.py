"""Mining a history for candidate tasks: every first-parent commit (a merged pull request, or a
commit made on the branch itself) that changes both code and tests. The change splits into the
gold patch (everything but tests) and the test patch; the commit's text becomes the problem
statement, scrubbed of pull-request numbers, hashes and links.

Every commit looked at is counted, and every one left out says why (`Rejection`).
"""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from factory.envs.ecosystems import Ecosystem, all_markers, ecosystem_for
from factory.envs.gitutil import GitError, git
from factory.envs.source import Snapshot
from factory.intake.scrub import scrub_text

_RECORD, _FIELD = "\x1e", "\x1f"
_MERGE_LINE = re.compile(
    r"^(?:Merge (?:pull request|branch|remote-tracking branch)\b.*|Merge [0-9a-f]{7,40}.*)$",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"^(?:Signed-off-by|Co-authored-by|Reviewed-by|Acked-by|Change-Id|Cc):.*$", re.IGNORECASE
)
_TITLE_REF = re.compile(r"\s*\((?:#|GH-|gh-)\d+\)\s*$")
_VERSION = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class MinedTask:
    instance_id: str
    repo: str
    base_commit: str
    source_commit: str
    patch: str
    test_patch: str
    test_files: list[str]
    problem_statement: str
    scrubbed: list[dict[str, str]]
    version: str
    created_at: str
    ecosystem: str


@dataclass(slots=True)
class MiningResult:
    commits_scanned: int = 0
    tasks: list[MinedTask] = field(default_factory=list)
    # reason -> count, for commits that did not make a candidate task.
    rejected: Counter[str] = field(default_factory=Counter)


def instance_id(repo: str, commit: str) -> str:
    """Stable across reruns; a digest, so the id itself names no pull request or commit."""
    return f"{repo}-{hashlib.sha256(f'{repo}:{commit}'.encode()).hexdigest()[:10]}"


def problem_statement(message: str) -> str:
    """The commit or merge text without merge boilerplate, trailers or a trailing (#123)."""
    lines = [line.rstrip() for line in message.strip().splitlines()]
    lines = [line for line in lines if not _MERGE_LINE.match(line) and not _TRAILER.match(line)]
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines:
        lines[0] = _TITLE_REF.sub("", lines[0])
    return "\n".join(lines).strip()


def mine(
    snapshot: Snapshot,
    *,
    max_tasks: int,
    max_patch_lines: int,
    min_statement_chars: int,
) -> MiningResult:
    """Candidate tasks from the snapshot's first-parent history, newest first."""
    result = MiningResult()
    log = git(
        "log",
        "--first-parent",
        f"--format=%H{_FIELD}%P{_FIELD}%cI{_FIELD}%B{_RECORD}",
        snapshot.head,
        cwd=snapshot.git_dir,
        timeout=600,
    )
    for entry in log.split(_RECORD):
        entry = entry.strip("\n")
        if not entry:
            continue
        commit, parents, date, message = entry.split(_FIELD, 3)
        result.commits_scanned += 1
        if max_tasks and len(result.tasks) >= max_tasks:
            result.rejected["beyond max_tasks"] += 1
            continue
        if not parents.strip():
            result.rejected["root commit"] += 1
            continue
        limits = {"max_patch_lines": max_patch_lines, "min_statement_chars": min_statement_chars}
        base = parents.split()[0]
        task = _task(snapshot, commit, base, date, message, result.rejected, **limits)
        if task is not None:
            result.tasks.append(task)
    return result


def _task(
    snapshot: Snapshot,
    commit: str,
    base: str,
    date: str,
    message: str,
    rejected: Counter[str],
    *,
    max_patch_lines: int,
    min_statement_chars: int,
) -> MinedTask | None:
    git_dir = snapshot.git_dir
    changed = git("diff", "--no-renames", "--name-only", "-z", base, commit, cwd=git_dir)
    paths = [p for p in changed.split("\0") if p]

    ecosystem = ecosystem_at(git_dir, base)
    if ecosystem is None:
        rejected["no supported ecosystem at the base commit"] += 1
        return None
    tests = [p for p in paths if ecosystem.is_test_file(p)]
    code = [p for p in paths if p not in tests]
    if not any(ecosystem.is_source_file(p) for p in code):
        rejected["no code change" if tests else "no code or test change"] += 1
        return None
    if not tests:
        rejected["no test change"] += 1
        return None
    modules = _modules_after(ecosystem, git_dir, commit, tests)
    if not modules:
        rejected["tests changed but no test module to run"] += 1
        return None
    patch = _diff(git_dir, base, commit, code)
    test_patch = _diff(git_dir, base, commit, tests)
    if patch.count("\n") > max_patch_lines:
        rejected[f"gold patch over {max_patch_lines} lines"] += 1
        return None
    statement, removals = scrub_text(problem_statement(message), "problem_statement")
    if len(statement) < min_statement_chars:
        rejected["commit text too short for a problem statement"] += 1
        return None
    return MinedTask(
        instance_id=instance_id(snapshot.name, commit),
        repo=snapshot.name,
        base_commit=base,
        source_commit=commit,
        patch=patch,
        test_patch=test_patch,
        test_files=modules,
        problem_statement=statement,
        scrubbed=[{"kind": r.kind, "matched": r.matched} for r in removals],
        version=_version(git_dir, base),
        created_at=date,
        ecosystem=ecosystem.name,
    )


def ecosystem_at(git_dir: Path, commit: str) -> Ecosystem | None:
    """The ecosystem whose marker files (pyproject.toml, ...) the commit's root holds."""
    root = git("ls-tree", "--name-only", commit, "--", *all_markers(), cwd=git_dir)
    return ecosystem_for(set(root.split()))


def _modules_after(ecosystem: Ecosystem, git_dir: Path, commit: str, tests: list[str]) -> list[str]:
    present = set(
        git("ls-tree", "-r", "--name-only", commit, "--", *tests, cwd=git_dir).split("\n")
    )
    return ecosystem.test_modules([p for p in tests if p in present])


def _diff(git_dir: Path, base: str, commit: str, paths: list[str]) -> str:
    return git(
        "diff", "--no-renames", "--binary", "--no-color", "--full-index", base, commit, "--",
        *paths, cwd=git_dir,
    )  # fmt: skip


def _read_at(git_dir: Path, commit: str, path: str) -> str | None:
    try:
        return git("show", f"{commit}:{path}", cwd=git_dir)
    except GitError:
        return None


def _version(git_dir: Path, commit: str) -> str:
    """major.minor of the newest tag reachable from the base ("0.0" before the first tag)."""
    try:
        tag = git("describe", "--tags", "--abbrev=0", commit, cwd=git_dir).strip()
    except GitError:
        return "0.0"
    match = _VERSION.search(tag)
    return f"{match.group(1)}.{match.group(2)}" if match else "0.0"


def read_file_at(git_dir: Path, commit: str, path: str) -> str | None:
    """One file of the repository at `commit`, or None."""
    return _read_at(git_dir, commit, path)
