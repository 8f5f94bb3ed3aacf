"""The funnel's three cuts on one task, decided from a container session's per-test outcomes.

- runnable: the project installs at the base commit and its suite collects there (at least one
  test, no collection error), and the test runs complete with a report;
- gradable: at least one FAIL_TO_PASS test (not passing before, passing after gold + test
  patch); PASS_TO_PASS are the tests passing both before and after; a skipped or missing test
  counts as failed; the empty patch resolves nothing (the before run is the empty patch);
- stable: K before runs agree test by test, and so do K after runs; otherwise the task is flaky.
"""

from dataclasses import dataclass, field
from typing import Any

from factory.envs.container import Patch, Phase, SessionResult
from factory.envs.ecosystems import Ecosystem

REPORT_PLUGIN = "factory_pytest_report"


@dataclass(slots=True)
class Verdict:
    status: str  # not_runnable | not_gradable | flaky | stable
    reason: str = ""
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def validation_phases(
    ecosystem: Ecosystem, test_files: list[str], patch: str, test_patch: str, runs: int
) -> list[Phase]:
    """Collect the suite at the base; then K runs before (test patch only) and K after."""
    collect = ecosystem.test_command([], REPORT_PLUGIN).argv
    collect = [*collect[: collect.index("--")], "--collect-only"]
    run = ecosystem.test_command(test_files, REPORT_PLUGIN).argv
    phases = [Phase("runnable", argv=collect)]
    tests = Patch("test", test_patch)
    gold = Patch("gold", patch)
    phases += [Phase("before", [tests], argv=run, attempt=k + 1) for k in range(runs)]
    phases += [Phase("after", [gold, tests], argv=run, attempt=k + 1) for k in range(runs)]
    return phases


def decide(session: SessionResult, runs: int) -> Verdict:
    if not session.ok:
        return Verdict("not_runnable", session.problem)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for phase in session.phases:
        by_name.setdefault(phase["name"], []).append(phase)
    collect = by_name.get("runnable", [{}])[0]
    problem = _collect_problem(collect)
    if problem:
        return Verdict("not_runnable", problem)
    before, after = by_name.get("before", []), by_name.get("after", [])
    for phase in before + after:
        if not phase.get("applied", False):
            return Verdict("not_gradable", str(phase.get("reason", "a patch does not apply")))
        if phase.get("timed_out"):
            return Verdict("not_runnable", f"the {phase['name']} run timed out")
        if not phase.get("complete"):
            output = str(phase.get("output", "")).strip()[-400:]
            return Verdict(
                "not_runnable", f"the {phase['name']} run ended without its report: {output}"
            )
    if len(before) != runs or len(after) != runs:
        return Verdict("not_runnable", "the session did not run every phase")
    first_before, first_after = before[0]["outcomes"], after[0]["outcomes"]
    tests = sorted(set(first_before) | set(first_after))
    fail_to_pass = [
        t for t in tests if first_before.get(t) != "passed" and first_after.get(t) == "passed"
    ]
    pass_to_pass = [
        t for t in tests if first_before.get(t) == "passed" and first_after.get(t) == "passed"
    ]
    details = {
        "collected": collect.get("collected"),
        "tests": len(tests),
        "seconds": {
            "session": round(session.seconds, 3),
            "prepare": session.prepare.get("seconds", 0.0),
            "collect": collect.get("seconds", 0.0),
            "before": [p.get("seconds", 0.0) for p in before],
            "after": [p.get("seconds", 0.0) for p in after],
        },
        "after_not_passing": [t for t in tests if first_after.get(t) != "passed"][:50],
    }
    if not fail_to_pass:
        return Verdict(
            "not_gradable", "no test fails before the gold patch and passes after it", [],
            pass_to_pass, details,
        )  # fmt: skip
    flaky = _disagreeing(before) | _disagreeing(after)
    if flaky:
        details["flaky_tests"] = sorted(flaky)[:50]
        return Verdict(
            "flaky",
            f"{len(flaky)} test(s) changed outcome across {runs} identical runs: "
            + ", ".join(sorted(flaky)[:3]),
            fail_to_pass,
            pass_to_pass,
            details,
        )
    return Verdict("stable", "", fail_to_pass, pass_to_pass, details)


def _collect_problem(collect: dict[str, Any]) -> str | None:
    if not collect:
        return "the suite was not collected"
    if collect.get("timed_out"):
        return "collecting the suite timed out"
    if collect.get("collect_errors"):
        names = ", ".join(collect["collect_errors"][:3])
        output = str(collect.get("output", "")).strip()[-300:]
        return f"the suite does not collect at the base commit ({names}): {output}"
    if not collect.get("complete") or not collect.get("collected"):
        output = str(collect.get("output", "")).strip()[-400:]
        return f"no test collected at the base commit: {output}"
    return None


def _disagreeing(phases: list[dict[str, Any]]) -> set[str]:
    """Tests whose outcome is not the same in every run (present in one, missing in another)."""
    names = set().union(*(p["outcomes"] for p in phases)) if phases else set()
    return {n for n in names if len({p["outcomes"].get(n, "missing") for p in phases}) > 1}
