"""Bash findings from shellcheck: the codes that let data become commands (unquoted expansions,
command substitution of data, eval of an array) as security findings with CWE-78, the rest as
style. A quoted `eval "$1"` is not among shellcheck's codes: semgrep's Bash rule reads it."""

import json
from collections.abc import Mapping

from factory.signals.scanners.base import (
    Findings,
    Scanner,
    chunked,
    code_files,
    owner,
    problem_for_all,
    run_tool,
    tool_problem,
)
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "shellcheck"
# SC2086/SC2048 unquoted expansion (word splitting and globbing of data), SC2046 unquoted command
# substitution, SC2091 running a substitution's output, SC2294 eval of an array: each lets input
# change the command that runs (OS command injection, CWE-78).
_INJECTION = {2086, 2046, 2294, 2091, 2048}
_SEVERITY = {"error": "HIGH", "warning": "MEDIUM", "info": "LOW", "style": "LOW"}


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    results: Findings = {candidate_id: [] for candidate_id in codes}
    with code_files(codes, language) as workspace:
        done, problem = run_tool(["shellcheck", "--format=json1", "--shell=bash"], workspace)
        if done is None:
            return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, problem))
        try:
            comments = json.loads(done.stdout or "{}").get("comments", [])
        except ValueError:
            failure = f"shellcheck failed ({done.returncode}): {done.stderr[-300:]}"
            return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, failure))
        for comment in comments:
            candidate_id = owner(workspace, comment.get("file"))
            if candidate_id is None:
                continue
            number = int(comment.get("code", 0))
            security = number in _INJECTION
            results[candidate_id].append(
                Signal(
                    tool=TOOL,
                    dimension=Dimension.SECURITY if security else Dimension.STYLE,
                    rule_id=f"SC{number}",
                    severity=_SEVERITY.get(comment.get("level", ""), "LOW"),
                    cwe_id=78 if security else None,
                    line=comment.get("line"),
                    message=str(comment.get("message", ""))[:500],
                )
            )
    return results


SHELLCHECK = Scanner(
    name=TOOL,
    languages=frozenset({"bash"}),
    dimensions=frozenset({Dimension.SECURITY, Dimension.STYLE}),
    scan_many=chunked(_scan),
)
