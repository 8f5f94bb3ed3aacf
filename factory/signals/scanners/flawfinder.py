"""Security findings for C and C++ from flawfinder, which names a CWE for each."""

import csv
import io
import re

from factory.signals.scanners.base import run_tool, tool_problem
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "flawfinder"
_CWE = re.compile(r"CWE-(\d+)")


def _severity(level: int) -> str:
    return "HIGH" if level >= 4 else "MEDIUM" if level >= 2 else "LOW"


def flawfinder_signals(code: str, language: str) -> list[Signal]:
    done, problem = run_tool(
        ["flawfinder", "--csv", "--quiet", "--dataonly", "--minlevel=1"], code, language
    )
    if done is None:
        return [tool_problem(TOOL, Dimension.SECURITY, problem)]
    if done.returncode != 0:
        return [tool_problem(TOOL, Dimension.SECURITY, f"flawfinder failed: {done.stderr[-300:]}")]
    signals = []
    for row in csv.DictReader(io.StringIO(done.stdout)):
        cwe = _CWE.search(row.get("CWEs") or "")
        level = int(row.get("Level") or 0)
        signals.append(
            Signal(
                tool=TOOL,
                dimension=Dimension.SECURITY,
                rule_id=row.get("Name") or "",
                severity=_severity(level),
                confidence=str(level),
                cwe_id=int(cwe.group(1)) if cwe else None,
                line=int(row["Line"]) if row.get("Line") else None,
                message=f"{row.get('Warning', '')} {row.get('Suggestion', '')}".strip()[:500],
            )
        )
    return signals
