"""Repository environments, one partition per repository snapshot: mining, images per dependency
recipe, and validation through the runnable → gradable → stable funnel, behind its gate."""

from assets.partitions import repo_partitions
from assets.stage import stage_asset, stage_gate
from expectations import environments as suite
from factory.envs import stage

ENVIRONMENTS = "environments"

repository_tasks = stage_asset(
    name="repository_tasks",
    run=stage.mine,
    deps=[],
    group=ENVIRONMENTS,
    kinds={"git"},
    partitions_def=repo_partitions,
    description="Candidate tasks mined from the snapshot's first-parent history: commits that "
    "change code and tests, split into gold and test patches, with the commit text scrubbed "
    "into a problem statement. Every commit left out is counted with its reason.",
)
environment_images = stage_asset(
    name="environment_images",
    run=stage.images,
    deps=["repository_tasks"],
    group=ENVIRONMENTS,
    kinds={"docker"},
    partitions_def=repo_partitions,
    description="One image per dependency recipe (the sandbox base plus the recipe's "
    "dependencies, installed without network), tagged by the recipe's hash: built once, "
    "shared by every task of the recipe; a failed build is recorded with its reason.",
)
environment_tasks = stage_asset(
    name="environment_tasks",
    run=stage.validate,
    deps=["environment_images"],
    group=ENVIRONMENTS,
    kinds={"docker", "python"},
    partitions_def=repo_partitions,
    description="Each task validated in its environment: runnable (installs and collects at "
    "the base), gradable (FAIL_TO_PASS tests fail before and pass after the gold patch), "
    "stable (identical outcomes over repeated runs). The funnel, with reasons, is the "
    "materialisation's metadata.",
)
environment_tasks_gate = stage_gate(environment_tasks, suite, repo_partitions)
