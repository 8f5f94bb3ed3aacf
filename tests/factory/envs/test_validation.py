"""The funnel's cuts and the grader, decided from session results (no container needed)."""

from typing import Any

from factory.envs.container import SessionResult
from factory.envs.ecosystems.python import PythonEcosystem
from factory.envs.grading import grade, grading_phases, touched_paths
from factory.envs.validation import decide, validation_phases

T1, T2, T3 = "tests/test_a.py::test_new", "tests/test_a.py::test_old", "tests/test_a.py::test_skip"


def phase(name: str, outcomes: dict[str, str], attempt: int = 1, **extra: Any) -> dict[str, Any]:
    return {"name": name, "attempt": attempt, "applied": True, "complete": True,
            "outcomes": outcomes, "seconds": 0.1, **extra}  # fmt: skip


def session(
    before: list[dict[str, str]], after: list[dict[str, str]], **collect: Any
) -> SessionResult:
    phases = [phase("runnable", {}, collected=3, **collect)]
    phases += [phase("before", o, k + 1) for k, o in enumerate(before)]
    phases += [phase("after", o, k + 1) for k, o in enumerate(after)]
    return SessionResult(True, phases=phases, prepare={"exit": 0, "seconds": 0.5})


BEFORE = {T2: "passed", T3: "skipped"}  # the new test's module did not import: T1 missing
AFTER = {T1: "passed", T2: "passed", T3: "passed"}


def test_a_stable_task_has_fail_to_pass_and_pass_to_pass() -> None:
    verdict = decide(session([BEFORE] * 3, [AFTER] * 3), runs=3)
    assert verdict.status == "stable"
    # A missing test and a skipped one both count as failing before.
    assert verdict.fail_to_pass == [T1, T3]
    assert verdict.pass_to_pass == [T2]


def test_a_test_that_changes_across_identical_runs_makes_the_task_flaky() -> None:
    wobbly = {**AFTER, T2: "failed"}
    verdict = decide(session([BEFORE] * 3, [AFTER, wobbly, AFTER]), runs=3)
    assert verdict.status == "flaky"
    assert verdict.details["flaky_tests"] == [T2]


def test_nothing_failing_before_and_passing_after_is_not_gradable() -> None:
    verdict = decide(session([AFTER] * 3, [AFTER] * 3), runs=3)
    assert verdict.status == "not_gradable"
    assert verdict.reason == "no test fails before the gold patch and passes after it"


def test_a_suite_that_does_not_collect_or_install_is_not_runnable() -> None:
    broken = session([BEFORE], [AFTER], collect_errors=["tests/test_a.py"], output="ImportError")
    assert decide(broken, runs=1).status == "not_runnable"
    assert "does not collect" in decide(broken, runs=1).reason
    install = SessionResult(False, "installing the project failed: no setup.py")
    assert decide(install, runs=1).reason == "installing the project failed: no setup.py"


def test_a_run_without_its_closing_line_is_not_believed() -> None:
    result = session([BEFORE], [AFTER])
    result.phases[-1]["complete"] = False
    assert decide(result, runs=1).status == "not_runnable"


def test_validation_runs_collect_then_k_before_then_k_after() -> None:
    phases = validation_phases(PythonEcosystem(), ["tests/test_a.py"], "GOLD", "TESTS", runs=2)
    assert [(p.name, [x.name for x in p.patches]) for p in phases] == [
        ("runnable", []),
        ("before", ["test"]),
        ("before", ["test"]),
        ("after", ["gold", "test"]),
        ("after", ["gold", "test"]),
    ]
    assert "--collect-only" in phases[0].argv and phases[1].argv[-1] == "tests/test_a.py"


CANDIDATE = """diff --git a/src/a.py b/src/a.py
--- a/src/a.py
+++ b/src/a.py
@@ -1 +1 @@
-x = 1
+x = 2
diff --git a/tests/conftest.py b/tests/conftest.py
new file mode 100644
--- /dev/null
+++ b/tests/conftest.py
@@ -0,0 +1 @@
+import os
"""


def test_a_candidate_patch_has_its_test_files_put_back_before_the_test_patch() -> None:
    assert touched_paths(CANDIDATE) == ["src/a.py", "tests/conftest.py"]
    [run] = grading_phases(PythonEcosystem(), ["tests/test_a.py"], CANDIDATE, "TESTS")
    assert [(p.name, p.put_back) for p in run.patches] == [
        ("candidate", ("tests/conftest.py",)),
        ("test", ()),
    ]
    [empty] = grading_phases(PythonEcosystem(), ["tests/test_a.py"], "", "TESTS")
    assert [p.name for p in empty.patches] == ["test"]


def test_resolved_needs_every_graded_test_to_pass() -> None:
    def graded(outcomes: dict[str, str]) -> SessionResult:
        return SessionResult(True, phases=[phase("grade", outcomes)])

    assert grade(graded(AFTER), [T1], [T2], []).resolved
    missed = grade(graded({T2: "passed"}), [T1], [T2], [])
    assert not missed.resolved and missed.fail_to_pass == {T1: "missing"}
    broke = grade(graded({T1: "passed", T2: "failed"}), [T1], [T2], [])
    assert not broke.resolved and "1 graded test(s) do not pass" in broke.reason
    unapplied = SessionResult(True, phases=[{"name": "grade", "applied": False, "reason": "no"}])
    assert grade(unapplied, [T1], [T2], []).as_json()["applied"] is False
