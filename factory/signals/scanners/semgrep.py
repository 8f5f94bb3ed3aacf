"""Security findings from semgrep with the factory's own rules, one file per language in
factory/signals/rules/: for the languages no other scanner reads for security (Go, Java, Rust,
Ruby, PHP) and for what shellcheck has no code for in Bash (eval of data). Each rule names its
CWE.

semgrep lives in its own virtualenv, tools/semgrep/venv (scripts/setup.sh): its pinned
dependencies would move the factory's own (click, jsonschema). Offline: no metrics, no version
check, no registry rules.
"""

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from factory.signals.scanners.base import (
    Findings,
    Scanner,
    chunked,
    scan_with_json_tool,
)
from factory.signals.signal import Signal
from factory.vocab import Dimension

TOOL = "semgrep"
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
SEMGREP_BIN = Path(__file__).resolve().parents[3] / "tools" / "semgrep" / "venv" / "bin" / "semgrep"
LANGUAGES = frozenset({"go", "java", "rust", "ruby", "php", "bash"})
_SEVERITY = {"ERROR": "HIGH", "WARNING": "MEDIUM", "INFO": "LOW"}
_CWE = re.compile(r"CWE-(\d+)")


def semgrep_binary() -> str:
    """The project's semgrep, else one on PATH (run_tool reports a missing one)."""
    return str(SEMGREP_BIN) if SEMGREP_BIN.exists() else shutil.which("semgrep") or "semgrep"


def _scan(codes: Mapping[int, str], language: str) -> Findings:
    argv = [semgrep_binary(), "scan", "--config", str(RULES_DIR / f"{language}.yaml"), "--json",
            "--quiet", "--metrics=off", "--disable-version-check", "--no-git-ignore",
            "--jobs=1", "--timeout=10"]  # fmt: skip
    return scan_with_json_tool(
        TOOL,
        argv,
        codes,
        language,
        lambda report: ((r.get("path"), _signal(r)) for r in report.get("results", [])),
    )


def _signal(result: dict[str, Any]) -> Signal:
    extra = result.get("extra", {})
    cwe = _CWE.search(" ".join(extra.get("metadata", {}).get("cwe", [])))
    return Signal(
        tool=TOOL,
        dimension=Dimension.SECURITY,
        # A rule from a file is named with its folder's dotted path in front; our ids have no dot.
        rule_id=str(result.get("check_id", "")).rsplit(".", 1)[-1],
        severity=_SEVERITY.get(str(extra.get("severity", "")), "LOW"),
        cwe_id=int(cwe.group(1)) if cwe else None,
        line=result.get("start", {}).get("line"),
        message=str(extra.get("message", ""))[:500],
    )


SEMGREP = Scanner(
    name=TOOL,
    languages=LANGUAGES,
    dimensions=frozenset({Dimension.SECURITY}),
    scan_many=chunked(_scan),
)
