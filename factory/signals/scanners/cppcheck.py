"""C and C++ findings from cppcheck's XML report: errors and warnings (memory safety, undefined
behaviour) as security findings with their CWE; style, performance and portability as style."""

import xml.etree.ElementTree as ElementTree
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

TOOL = "cppcheck"
_SECURITY = {"error": "HIGH", "warning": "MEDIUM"}
# Not about the candidate: headers cppcheck does not have, whole-program checks that would compare
# one candidate's functions with another's (they share a run), cppcheck's own summary.
_IGNORED = {
    "missingIncludeSystem",
    "missingInclude",
    "unusedFunction",
    "checkersReport",
    "ctuOneDefinitionRuleViolation",
}


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    results: Findings = {candidate_id: [] for candidate_id in codes}
    standard = "--language=c++" if language == "cpp" else "--language=c"
    argv = ["cppcheck", "--xml", "--quiet", "--max-ctu-depth=0",
            "--enable=warning,style,performance,portability", standard]  # fmt: skip
    with code_files(codes, language) as workspace:
        done, problem = run_tool(argv, workspace)
        if done is None:
            return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, problem))
        try:
            # cppcheck writes this XML itself (no DTD, no entities): a candidate only fills text.
            root = ElementTree.fromstring(done.stderr or "<results/>")  # noqa: S314
        except ElementTree.ParseError as exc:
            failure = f"cppcheck output unreadable ({done.returncode}): {exc}"
            return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, failure))
        for error in root.iter("error"):
            rule, severity = error.get("id", ""), error.get("severity", "")
            location = error.find("location")
            candidate_id = owner(workspace, location.get("file") if location is not None else None)
            if rule in _IGNORED or severity == "information" or candidate_id is None:
                continue
            cwe = error.get("cwe")
            security = severity in _SECURITY
            results[candidate_id].append(
                Signal(
                    tool=TOOL,
                    dimension=Dimension.SECURITY if security else Dimension.STYLE,
                    rule_id=rule,
                    severity=_SECURITY.get(severity, "LOW"),
                    cwe_id=int(cwe) if cwe and cwe.isdigit() and security else None,
                    line=int(location.get("line", 0)) if location is not None else None,
                    message=(error.get("msg") or "")[:500],
                )
            )
    return results


CPPCHECK = Scanner(
    name=TOOL,
    languages=frozenset({"c", "cpp"}),
    dimensions=frozenset({Dimension.SECURITY, Dimension.STYLE}),
    scan_many=chunked(_scan),
)
