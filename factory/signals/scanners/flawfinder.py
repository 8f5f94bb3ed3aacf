"""Security findings for C and C++ from flawfinder, which names a CWE and a risk level 0–5 for
each hit."""

import csv
import io
import re
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

TOOL = "flawfinder"
_CWE = re.compile(r"CWE-(\d+)")


def _severity(level: int) -> str:
    return "HIGH" if level >= 4 else "MEDIUM" if level >= 2 else "LOW"


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    results: Findings = {candidate_id: [] for candidate_id in codes}
    with code_files(codes, language) as workspace:
        argv = ["flawfinder", "--csv", "--quiet", "--dataonly", "--minlevel=1"]
        done, problem = run_tool(argv, workspace)
        if done is not None and done.returncode != 0:
            problem = f"flawfinder failed ({done.returncode}): {done.stderr[-300:]}"
        if done is None or problem:
            return problem_for_all(codes, tool_problem(TOOL, Dimension.SECURITY, problem))
        for row in csv.DictReader(io.StringIO(done.stdout)):
            candidate_id = owner(workspace, row.get("File"))
            if candidate_id is None:
                continue
            cwe = _CWE.search(row.get("CWEs") or "")  # the first is the main one ("CWE-119!/…")
            level = int(row.get("Level") or 0)
            results[candidate_id].append(
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
    return results


FLAWFINDER = Scanner(
    name=TOOL,
    languages=frozenset({"c", "cpp"}),
    dimensions=frozenset({Dimension.SECURITY}),
    scan_many=chunked(_scan),
)
