"""Cross-checks between two people's work on the same task: each one's code against the
other's tests. Agreement for kinds whose answers are code (bug fixes, authored solutions)."""

from typing import Any

from factory.tasktypes.base import Payload, RunCode
from factory.vocab import Verdict


def mutual_checks(
    payload: Payload,
    earlier: list[tuple[int, Payload]],
    run: RunCode,
    *,
    code_key: str,
    tests_key: str,
) -> list[dict[str, Any]]:
    checks = []
    for other_id, other in earlier:
        pairs = (
            ("mine_vs_theirs", payload[code_key], other.get(tests_key, "")),
            ("theirs_vs_mine", other[code_key], payload.get(tests_key, "")),
        )
        for direction, code, tests in pairs:
            if not tests.strip():
                continue
            outcome = run(code, tests)
            if outcome.verdict == Verdict.SANDBOX_ERROR:
                continue  # the factory's fault: no evidence either way
            checks.append(
                {
                    "other_submission_id": other_id,
                    "direction": direction,
                    "passed": outcome.verdict == Verdict.PASSED,
                }
            )
    return checks


def cross_pass_rate(checks: list[dict[str, Any]]) -> tuple[int, int]:
    """(passed, made) over a set of cross-checks."""
    return sum(1 for c in checks if c["passed"]), len(checks)
