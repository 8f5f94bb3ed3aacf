"""Bug fixes on repository tasks: the buggy code is a task's base commit, the fix a patch.

The annotator sees the task's problem statement and the tests that fail, and submits a fix
patch and a regression-test patch (unified diffs against the base commit). In the task's own
environment (factory.envs: its image, the base checkout with one commit, no network, no
secret), one session runs three phases on a clean tree each time:
1. buggy: the regression patch alone; its tests must run and at least one must fail;
2. fixed: the fix and the regression patch; every regression test must pass;
3. graded: the fix graded as any patch is (factory.envs.grading): the task's own test patch
   applied, every FAIL_TO_PASS and PASS_TO_PASS test passing.
"""

from typing import Any

from sqlalchemy import Engine

from factory.envs.container import Patch, Phase, SessionResult, SessionRunner
from factory.envs.ecosystems import Ecosystem
from factory.envs.grading import grade, grading_phases, touched_paths
from factory.envs.images import EnvironmentUnavailableError, docker_client
from factory.envs.tasks import task_environment
from factory.envs.validation import REPORT_PLUGIN
from factory.errors import FactoryUserError
from factory.models import RepoTask
from factory.settings import FactoryConfig
from factory.stages.context import StageContext
from factory.tasktypes.base import (
    Payload,
    RepoSession,
    Verification,
    WorkContext,
    WorkError,
    WorkRefused,
)

MAX_PATCH_CHARS = 200_000


def check_patches(
    payload: Payload, ecosystem: Ecosystem, where: str
) -> tuple[list[str], list[str]]:
    """(files the fix touches, test files the regression patch touches), or WorkError."""
    fix, regression = payload["fix_patch"], payload["regression_test"]
    for label, text in (("the fix patch", fix), ("the regression test patch", regression)):
        if len(text) > MAX_PATCH_CHARS:
            raise WorkError(f"{where}: {label} is longer than {MAX_PATCH_CHARS} characters")
        if not touched_paths(text):
            raise WorkError(f"{where}: {label} is not a unified diff (no file it changes)")
    fixed = touched_paths(fix)
    tests = touched_paths(regression)
    not_tests = [p for p in tests if not ecosystem.is_test_file(p)]
    if not_tests:
        raise WorkError(
            f"{where}: the regression test patch changes files that are not tests: {not_tests[:3]}"
        )
    if all(ecosystem.is_test_file(p) for p in fixed):
        raise WorkError(f"{where}: the fix patch changes only tests; fix the code")
    return fixed, tests


def repo_phases(task: RepoTask, ecosystem: Ecosystem, payload: Payload) -> list[Phase]:
    fix, regression = payload["fix_patch"], payload["regression_test"]
    modules = [p for p in touched_paths(regression) if ecosystem.is_test_file(p)]
    argv = ecosystem.test_command(modules, REPORT_PLUGIN).argv
    put_back = tuple(p for p in touched_paths(fix) if ecosystem.is_test_file(p))
    return [
        Phase("buggy", [Patch("regression", regression)], argv=list(argv)),
        Phase(
            "fixed", [Patch("fix", fix, put_back), Patch("regression", regression)], argv=list(argv)
        ),
        *[
            Phase("graded", phase.patches, argv=phase.argv)
            for phase in grading_phases(ecosystem, task.test_files, fix, task.test_patch)
        ],
    ]


def verify_repo_fix(
    task: RepoTask,
    ecosystem: Ecosystem,
    payload: Payload,
    context: WorkContext,
    session: RepoSession | None,
) -> Verification:
    where = context.where
    if session is None:
        raise WorkRefused(
            f"{where}: repository fixes are checked in the task's environment, "
            "which needs the Docker engine; none is available to the app"
        )
    result = session(task.instance_id, repo_phases(task, ecosystem, payload))
    if not result.ok:
        raise WorkRefused(
            f"{where}: the environment could not run the check ({result.problem}); "
            "nothing was saved, submit again"
        )
    buggy, fixed, graded_phase = result.phases
    for phase, patch in ((buggy, "the regression test patch"), (fixed, "the fix")):
        if not phase.get("applied"):
            raise WorkRefused(
                f"{where}: {patch} does not apply to the base commit: "
                f"{str(phase.get('reason', ''))[:300]}"
            )
    before: dict[str, str] = buggy.get("outcomes", {})
    after: dict[str, str] = fixed.get("outcomes", {})
    if not before:
        raise WorkRefused(f"{where}: no regression test ran on the buggy code ({_tail(buggy)})")
    if all(o == "passed" for o in before.values()):
        raise WorkRefused(
            f"{where}: the regression tests all pass on the buggy code, so they do "
            f"not catch the bug ({len(before)} passed)"
        )
    failing_after = sorted(t for t, o in after.items() if o != "passed")
    if not after or failing_after:
        raise WorkRefused(
            f"{where}: the regression tests fail on your fix: "
            f"{', '.join(failing_after[:3]) or _tail(fixed)}"
        )
    graded = grade(
        SessionResult(True, phases=[graded_phase], seconds=result.seconds),
        task.FAIL_TO_PASS,
        task.PASS_TO_PASS,
        [],
    )
    if not graded.resolved:
        raise WorkRefused(
            f"{where}: your fix does not resolve the task's own tests: {graded.reason}"
        )
    checks: list[dict[str, Any]] = [
        _check("regression test on the buggy code", before),
        _check("regression test on the fix", after),
        {
            "check": "the task's tests on the fix",
            "verdict": "passed",
            "tests_passed": len(graded.fail_to_pass) + len(graded.pass_to_pass),
            "tests_total": len(graded.fail_to_pass) + len(graded.pass_to_pass),
            "wall_time_s": round(result.seconds, 3),
        },
    ]
    return Verification(tuple(checks))


def _check(name: str, outcomes: dict[str, str]) -> dict[str, Any]:
    passed = sum(1 for o in outcomes.values() if o == "passed")
    verdict = "passed" if passed == len(outcomes) else "failed"
    return {
        "check": name,
        "verdict": verdict,
        "tests_passed": passed,
        "tests_total": len(outcomes),
        "wall_time_s": 0.0,
    }


def _tail(phase: dict[str, Any]) -> str:
    return " ".join(str(phase.get("output", "")).split())[-300:] or "no output"


def environment_sessions(engine: Engine, config: FactoryConfig) -> RepoSession:
    """Sessions in repository tasks' own environments, on the Docker engine (no credentials
    are handed to them: a task's container sees none of the host's variables)."""
    ctx = StageContext(config=config, engine=engine)

    def run(instance_id: str, phases: list[Phase]) -> SessionResult:
        try:
            env = task_environment(ctx, instance_id)
            client = docker_client()
        except (FactoryUserError, EnvironmentUnavailableError) as exc:
            return SessionResult(False, problem=str(exc))
        return SessionRunner(client, config.envs).run(
            env.image, env.ecosystem, env.workspace, phases
        )

    return run
