"""Grading a patch against a task: apply it at the base, put back any test file it touched,
apply the test patch, run the task's tests once, and call it resolved when every FAIL_TO_PASS
and every PASS_TO_PASS test passes. This is the verifiable reward for repository tasks."""

import re
from dataclasses import dataclass, field
from typing import Any

from factory.envs.container import Patch, Phase, SessionResult
from factory.envs.ecosystems import Ecosystem
from factory.envs.validation import REPORT_PLUGIN

_DIFF_PATHS = re.compile(r"^diff --git a/(.+?) b/(.+?)$", re.MULTILINE)
_PLUS_PATHS = re.compile(r"^(?:\+\+\+|---) (?:[ab]/)?(.+?)\t?$", re.MULTILINE)


@dataclass(slots=True)
class Grade:
    resolved: bool
    applied: bool
    reason: str = ""
    fail_to_pass: dict[str, str] = field(default_factory=dict)
    pass_to_pass: dict[str, str] = field(default_factory=dict)
    reset_test_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "resolved": self.resolved,
            "applied": self.applied,
            "reason": self.reason,
            "FAIL_TO_PASS": self.fail_to_pass,
            "PASS_TO_PASS": self.pass_to_pass,
            "reset_test_files": self.reset_test_files,
            "seconds": round(self.seconds, 3),
        }


def touched_paths(patch: str) -> list[str]:
    """Every path a unified diff names (old and new sides), /dev/null left out."""
    paths = {p for pair in _DIFF_PATHS.findall(patch) for p in pair}
    paths |= set(_PLUS_PATHS.findall(patch))
    return sorted(p for p in paths if p != "/dev/null")


def grading_phases(
    ecosystem: Ecosystem, test_files: list[str], patch: str, test_patch: str
) -> list[Phase]:
    """One run: the candidate's patch (its test files put back), then the task's test patch."""
    put_back = tuple(p for p in touched_paths(patch) if ecosystem.is_test_file(p))
    patches = [Patch("candidate", patch, put_back)] if patch.strip() else []
    patches.append(Patch("test", test_patch))
    argv = ecosystem.test_command(test_files, REPORT_PLUGIN).argv
    return [Phase("grade", patches, argv=argv)]


def grade(
    session: SessionResult,
    fail_to_pass: list[str],
    pass_to_pass: list[str],
    reset_test_files: list[str],
) -> Grade:
    if not session.ok:
        return Grade(False, True, session.problem, seconds=session.seconds)
    [phase] = session.phases
    if not phase.get("applied"):
        return Grade(False, False, str(phase.get("reason", "")), seconds=session.seconds)
    outcomes: dict[str, str] = phase.get("outcomes", {})
    f2p = {t: outcomes.get(t, "missing") for t in fail_to_pass}
    p2p = {t: outcomes.get(t, "missing") for t in pass_to_pass}
    resolved = all(o == "passed" for o in [*f2p.values(), *p2p.values()])
    reason = ""
    if phase.get("timed_out"):
        resolved, reason = False, "the test run timed out"
    elif not phase.get("complete"):
        resolved, reason = False, "the test run ended without its report"
    elif not resolved:
        failing = [t for t, o in {**f2p, **p2p}.items() if o != "passed"]
        reason = f"{len(failing)} graded test(s) do not pass: " + ", ".join(failing[:3])
    return Grade(resolved, True, reason, f2p, p2p, reset_test_files, session.seconds)
