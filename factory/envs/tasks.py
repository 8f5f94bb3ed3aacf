"""Working with one task that the funnel kept: grading a patch in its environment, and running a
command there exactly as a model would (base checkout with one commit, project installed, no
network, no secrets)."""

import hashlib
import shlex
from dataclasses import dataclass
from typing import Any

from factory.envs.container import Phase, SessionRunner
from factory.envs.ecosystems import ECOSYSTEMS, Ecosystem, EnvBuildError
from factory.envs.funnel import env_run_row
from factory.envs.grading import grade, grading_phases, touched_paths
from factory.envs.images import docker_client, image_of
from factory.envs.source import existing_snapshot
from factory.envs.workspace import workspace_tar
from factory.errors import FactoryUserError
from factory.models import EnvRecipe, PatchGrading, RepoSnapshot, RepoTask
from factory.models.storable_text import escape_unstorable
from factory.stages.context import StageContext


@dataclass(frozen=True, slots=True)
class TaskEnvironment:
    task: RepoTask
    image: str
    ecosystem: Ecosystem
    workspace: bytes


def task_environment(ctx: StageContext, instance_id: str) -> TaskEnvironment:
    with ctx.session() as session:
        task = session.get(RepoTask, instance_id)
        if task is None:
            raise FactoryUserError(
                f"task {instance_id!r}: no such task; `factory envs build REPO` lists them"
            )
        recipe = session.get(EnvRecipe, task.recipe_id) if task.recipe_id else None
        snapshot = session.get(RepoSnapshot, task.snapshot_id)
    if recipe is None or recipe.status != "built":
        raise FactoryUserError(
            f"task {instance_id!r}: its environment was never built ({task.reason or 'pending'})"
        )
    assert snapshot is not None
    repo = existing_snapshot(snapshot.id, snapshot.source)
    try:
        image = image_of(docker_client(), recipe, ctx.config.envs)
    except EnvBuildError as exc:
        raise FactoryUserError(
            f"task {instance_id!r}: its environment cannot be rebuilt: {exc}"
        ) from exc
    return TaskEnvironment(
        task=task,
        image=image,
        ecosystem=ECOSYSTEMS[recipe.ecosystem],
        workspace=workspace_tar(repo.git_dir, task.base_commit),
    )


def grade_patch(
    ctx: StageContext, instance_id: str, patch: str | None, source: str
) -> dict[str, Any]:
    """Grade `patch` (None with source `gold` or `empty`); stored, and returned as JSON."""
    env = task_environment(ctx, instance_id)
    task = env.task
    if task.status not in ("stable", "flaky"):
        raise FactoryUserError(
            f"task {instance_id!r} is {task.status} ({task.reason[:200]}): only gradable tasks "
            "have tests that decide"
        )
    if patch is None:
        patch = task.patch if source == "gold" else ""
    phases = grading_phases(env.ecosystem, task.test_files, patch, task.test_patch)
    put_back = [p for p in touched_paths(patch) if env.ecosystem.is_test_file(p)]
    runner = SessionRunner(docker_client(), ctx.config.envs)
    session_result = runner.run(env.image, env.ecosystem, env.workspace, phases)
    result = grade(session_result, task.FAIL_TO_PASS, task.PASS_TO_PASS, put_back)
    digest = hashlib.sha256(patch.encode("utf-8", "surrogateescape")).hexdigest()
    with ctx.session() as session:
        session.add(
            PatchGrading(
                instance_id=instance_id,
                patch_sha256=digest,
                patch_source=source[:200],
                patch=patch,
                resolved=result.resolved,
                applied=result.applied,
                reason=escape_unstorable(result.reason)[0],
                fail_to_pass=result.fail_to_pass,
                pass_to_pass=result.pass_to_pass,
                reset_test_files=result.reset_test_files,
                wall_time_s=round(result.seconds, 3),
            )
        )
        session.add_all(env_run_row(instance_id, "grading", p) for p in session_result.phases)
    return {"instance_id": instance_id, "patch": source, "patch_sha256": digest} | result.as_json()


def run_command(ctx: StageContext, instance_id: str, argv: list[str]) -> tuple[int, str]:
    """Run `argv` in the task's environment; (exit code, output). 124 on a timeout."""
    env = task_environment(ctx, instance_id)
    runner = SessionRunner(docker_client(), ctx.config.envs)
    command = shlex.join(argv) if len(argv) > 1 else argv[0]
    result = runner.run(
        env.image, env.ecosystem, env.workspace, [Phase("command", command=command)]
    )
    if not result.ok:
        raise FactoryUserError(f"task {instance_id!r}: {result.problem}")
    [phase] = result.phases
    exit_code = phase.get("exit")
    return (124 if exit_code is None else int(exit_code)), str(phase.get("output", ""))
