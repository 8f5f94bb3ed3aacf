"""JavaScript and TypeScript findings from eslint with eslint-plugin-security (and the TypeScript
parser), installed by scripts/setup.sh into tools/eslint: the plugin's rules and eval-like core
rules as security findings with their CWE, the other core rules as style."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from factory.signals.scanners.base import (
    Findings,
    Scanner,
    chunked,
    problem_for_all,
    scan_with_json_tool,
    tool_problem,
)
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "eslint"
ESLINT_DIR = Path(__file__).resolve().parents[3] / "tools" / "eslint"
# Each security rule and the weakness it points at.
CWE = {
    "security/detect-eval-with-expression": 95,
    "no-eval": 95,
    "no-implied-eval": 95,
    "no-new-func": 95,
    "security/detect-child-process": 78,
    "security/detect-non-literal-fs-filename": 22,
    "security/detect-non-literal-require": 829,
    "security/detect-non-literal-regexp": 1333,
    "security/detect-unsafe-regex": 1333,
    "security/detect-object-injection": 915,
    "security/detect-possible-timing-attacks": 208,
    "security/detect-pseudoRandomBytes": 338,
    "security/detect-buffer-noassert": 119,
    "security/detect-new-buffer": 119,
    "security/detect-disable-mustache-escape": 79,
    "security/detect-no-csrf-before-method-override": 352,
    "security/detect-bidi-characters": 1007,
}


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    binary = ESLINT_DIR / "node_modules" / ".bin" / "eslint"
    if not binary.exists():
        problem = "eslint is not installed in tools/eslint (scripts/setup.sh installs it)"
        return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, problem))
    argv = [str(binary), "--no-eslintrc", "-c", str(ESLINT_DIR / "eslintrc.json"),
            "--resolve-plugins-relative-to", str(ESLINT_DIR), "--no-ignore",
            "--format", "json"]  # fmt: skip
    return scan_with_json_tool(
        TOOL,
        argv,
        codes,
        language,
        lambda reports: (
            (report.get("filePath"), _signal(message))
            for report in reports
            for message in report.get("messages", [])
        ),
    )


def _signal(message: dict[str, Any]) -> Signal:
    rule = message.get("ruleId") or "parse"  # no rule: the code did not parse
    security = rule in CWE
    return Signal(
        tool=TOOL,
        dimension=Dimension.SECURITY if security else Dimension.STYLE,
        rule_id=rule,
        severity=("HIGH" if message.get("severity") == 2 else "MEDIUM") if security else "LOW",
        cwe_id=CWE.get(rule),
        line=message.get("line"),
        message=str(message.get("message", ""))[:500],
    )


ESLINT = Scanner(
    name=TOOL,
    languages=frozenset({"javascript", "typescript"}),
    dimensions=frozenset({Dimension.SECURITY, Dimension.STYLE}),
    scan_many=chunked(_scan),
)
