"""C and C++ findings from cppcheck: errors and warnings (memory safety, undefined behaviour)
with their CWE as security findings; style, performance and portability as style."""

import xml.etree.ElementTree as ElementTree

from factory.signals.scanners.base import run_tool, tool_problem
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "cppcheck"
_SECURITY = {"error": "HIGH", "warning": "MEDIUM"}
_IGNORED = {"missingIncludeSystem", "missingInclude", "unusedFunction", "checkersReport"}


def cppcheck_signals(code: str, language: str) -> list[Signal]:
    standard = "--language=c++" if language == "cpp" else "--language=c"
    argv = ["cppcheck", "--xml", "--quiet", "--enable=warning,style,performance,portability",
            standard]  # fmt: skip
    done, problem = run_tool(argv, code, language)
    if done is None:
        return [tool_problem(TOOL, Dimension.SECURITY, problem)]
    try:
        # cppcheck writes this XML itself (no DTD, no entities): the candidate only fills text.
        root = ElementTree.fromstring(done.stderr or "<results/>")  # noqa: S314
    except ElementTree.ParseError as exc:
        return [tool_problem(TOOL, Dimension.SECURITY, f"cppcheck output unreadable: {exc}")]
    signals = []
    for error in root.iter("error"):
        rule, severity = error.get("id", ""), error.get("severity", "")
        if rule in _IGNORED or severity == "information":
            continue
        location = error.find("location")
        cwe = error.get("cwe")
        security = severity in _SECURITY
        signals.append(
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
    return signals
