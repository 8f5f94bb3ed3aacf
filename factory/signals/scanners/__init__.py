"""Static signals for every language but Python (bandit, ruff and radon cover Python, batch-wise
in factory.signals.collect): one module per tool, each a `Scanner`, and the table of which tools
read which language.

Each tool reads candidates' code from temporary files on the host, with a time limit; none
executes it. A tool that is missing, fails or times out gives a `tool-error` finding that says
so, never a crash of the stage. A language that no scanner reads for security (or for
complexity) gets an explicit `no-scanner` finding, so an empty list of security findings always
means "scanned, nothing found".
"""

from collections.abc import Mapping

from factory.signals.scanners.base import (
    Findings,
    Scanner,
    no_scanner,
    problem_for_all,
    tool_problem,
)
from factory.signals.scanners.cppcheck import CPPCHECK
from factory.signals.scanners.eslint import ESLINT
from factory.signals.scanners.flawfinder import FLAWFINDER
from factory.signals.scanners.lizard import LIZARD
from factory.signals.scanners.semgrep import SEMGREP
from factory.signals.scanners.shellcheck import SHELLCHECK
from factory.signals.signal import Signal
from factory.vocab import Dimension

ALL: tuple[Scanner, ...] = (FLAWFINDER, CPPCHECK, ESLINT, SHELLCHECK, SEMGREP, LIZARD)
LANGUAGES = ("c", "cpp", "javascript", "typescript", "bash", "go", "rust", "java", "ruby", "php",
             "sql")  # fmt: skip
SCANNERS: dict[str, tuple[Scanner, ...]] = {
    language: tuple(scanner for scanner in ALL if language in scanner.languages)
    for language in LANGUAGES
}
# Dimensions whose absence for a language is recorded, never left silent.
_EXPECTED = (Dimension.SECURITY, Dimension.READABILITY)

__all__ = ["ALL", "SCANNERS", "Scanner", "scan", "scan_batch"]


def scan_batch(codes: Mapping[int, str], language: str) -> Findings:
    """Every static finding for each {candidate id: code} of one language: each tool runs once
    per chunk of candidates, not once per candidate."""
    scanners = SCANNERS.get(language, ())
    covered = {dimension for scanner in scanners for dimension in scanner.dimensions}
    missing = [no_scanner(language, d) for d in _EXPECTED if d not in covered]
    results: Findings = {candidate_id: list(missing) for candidate_id in codes}
    for scanner in scanners:
        for candidate_id, found in _scan_safely(scanner, codes, language).items():
            results[candidate_id].extend(found)
    return results


def _scan_safely(scanner: Scanner, codes: Mapping[int, str], language: str) -> Findings:
    """A scanner's findings, or a tool-error finding for each candidate if reading its report
    went wrong in a way it did not foresee: one tool's surprise must not stop the stage."""
    try:
        return scanner.scan_many(codes, language)
    except Exception as exc:
        security = Dimension.SECURITY in scanner.dimensions
        dimension = Dimension.SECURITY if security else min(scanner.dimensions)
        problem = tool_problem(scanner.name, dimension, f"{scanner.name} failed: {exc!r}")
        return problem_for_all(codes, problem)


def scan(code: str, language: str) -> list[Signal]:
    """Every static finding for one candidate's `code` in `language`."""
    return scan_batch({0: code}, language)[0]
