"""The `swe` config: repository tasks in SWE-bench's schema, plus what a harness needs to grade a
patch the way the factory does (the environment image, its recipe, the test command, and the
factory's own grading command). Only stable tasks are released; the commit a task was mined from
is not (it holds the answer), and the statement was scrubbed at mining."""

import json
import shlex
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from factory.envs.ecosystems import ECOSYSTEMS
from factory.envs.funnel import swe_bench_fields
from factory.envs.validation import REPORT_PLUGIN
from factory.models import EnvRecipe, RepoTask

SWE = "swe"
SPLIT = "train"  # one split: tasks of one repository never straddle train and test


@dataclass(frozen=True, slots=True)
class SweTask:
    task: RepoTask
    recipe: EnvRecipe


def load_swe_tasks(session: Session) -> list[SweTask]:
    """Every stable repository task with a built environment, oldest repository first."""
    rows = session.exec(
        select(RepoTask, EnvRecipe)
        .join(EnvRecipe, col(EnvRecipe.id) == col(RepoTask.recipe_id))
        .where(RepoTask.status == "stable", EnvRecipe.status == "built")
        .order_by(col(RepoTask.repo), col(RepoTask.instance_id))
    ).all()
    return [SweTask(task, recipe) for task, recipe in rows]


def swe_row(item: SweTask) -> dict[str, Any]:
    task, recipe = item.task, item.recipe
    ecosystem = ECOSYSTEMS[recipe.ecosystem]
    argv = ecosystem.test_command(list(task.test_files), REPORT_PLUGIN).argv
    # Without the factory's report plugin, the same run a plain harness would make.
    plain = list(argv)
    at = plain.index(REPORT_PLUGIN)
    del plain[at - 1 : at + 1]
    return {
        **swe_bench_fields(task),
        # JSON-encoded lists, as SWE-bench stores them.
        "FAIL_TO_PASS": json.dumps(task.FAIL_TO_PASS),
        "PASS_TO_PASS": json.dumps(task.PASS_TO_PASS),
        "language": recipe.ecosystem,
        "image": recipe.image,
        "image_recipe": json.dumps(recipe.spec, sort_keys=True),
        "test_files": list(task.test_files),
        "test_command": shlex.join(plain),
        "grade_command": f"factory envs grade {task.instance_id} PATCH_FILE",
        "snapshot_id": task.snapshot_id,
    }
