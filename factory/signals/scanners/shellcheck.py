"""Bash findings from shellcheck: the codes that let data become commands (unquoted expansions,
eval) as security findings with CWE-78, the rest as style."""

import json

from factory.signals.scanners.base import run_tool, tool_problem
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "shellcheck"
# Word splitting and globbing of data, command substitution of data, eval of an array: each lets
# input change the command that runs (OS command injection, CWE-78).
_INJECTION = {2086, 2046, 2294, 2091, 2048}
_SEVERITY = {"error": "HIGH", "warning": "MEDIUM", "info": "LOW", "style": "LOW"}


def shellcheck_signals(code: str, language: str) -> list[Signal]:
    done, problem = run_tool(["shellcheck", "--format=json1", "--shell=bash"], code, language)
    if done is None:
        return [tool_problem(TOOL, Dimension.SECURITY, problem)]
    try:
        comments = json.loads(done.stdout or "{}").get("comments", [])
    except ValueError:
        return [tool_problem(TOOL, Dimension.SECURITY, f"shellcheck failed: {done.stderr[-300:]}")]
    signals = []
    for comment in comments:
        code_number = int(comment.get("code", 0))
        security = code_number in _INJECTION
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.SECURITY if security else Dimension.STYLE,
                rule_id=f"SC{code_number}",
                severity=_SEVERITY.get(comment.get("level", ""), "LOW"),
                cwe_id=78 if security else None,
                line=comment.get("line"),
                message=str(comment.get("message", ""))[:500],
            )
        )
    return signals
