"""Static signals for every language but Python (bandit, ruff and radon cover Python), one module
per tool and a table from language to the tools that read it.

Each tool reads the candidate's code from a temporary file on the host, with a time limit; none
executes it. A tool that is missing, fails or times out gives a finding that says so, never a
crash of the stage. A language without a security scanner gets an explicit finding saying that,
so an empty list of security findings always means "scanned, nothing found".
"""

from collections.abc import Callable

from factory.signals.scanners.base import no_security_scanner
from factory.signals.scanners.cppcheck import cppcheck_signals
from factory.signals.scanners.eslint import eslint_signals
from factory.signals.scanners.flawfinder import flawfinder_signals
from factory.signals.scanners.lizard import lizard_signals
from factory.signals.scanners.shellcheck import shellcheck_signals
from factory.signals.signal import Signal

Scanner = Callable[[str, str], list[Signal]]

# language -> (security scanners, other scanners). Complexity comes from lizard everywhere.
SCANNERS: dict[str, tuple[tuple[Scanner, ...], tuple[Scanner, ...]]] = {
    "c": ((flawfinder_signals, cppcheck_signals), (lizard_signals,)),
    "cpp": ((flawfinder_signals, cppcheck_signals), (lizard_signals,)),
    "javascript": ((eslint_signals,), (lizard_signals,)),
    "typescript": ((eslint_signals,), (lizard_signals,)),
    "bash": ((shellcheck_signals,), ()),
    "go": ((), (lizard_signals,)),
    "rust": ((), (lizard_signals,)),
    "java": ((), (lizard_signals,)),
    "ruby": ((), (lizard_signals,)),
    "php": ((), (lizard_signals,)),
    "sql": ((), ()),
}

__all__ = ["SCANNERS", "scan"]


def scan(code: str, language: str) -> list[Signal]:
    """Every static signal for `code` in `language` (one explicit finding when no security
    scanner reads the language)."""
    security, others = SCANNERS.get(language, ((), ()))
    signals: list[Signal] = []
    if not security:
        signals.append(no_security_scanner(language))
    for scanner in (*security, *others):
        signals.extend(scanner(code, language))
    return signals
