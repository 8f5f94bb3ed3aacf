"""The repository inbox sensor: each repository snapshot a bundle or a list in `<inbox>/repos/`
names becomes one partition and one `environments_job` run.

The run key is the snapshot id (`name@head12`): the same history dropped again starts nothing,
a history whose head moved starts a new snapshot.
"""

import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.jobs import environments_job
from assets.partitions import repo_partitions
from factory.envs.inbox import repo_inbox, scan_repo_inbox
from factory.settings import environment, inbox_dir

REPO_INBOX_SENSOR = "repo_inbox_sensor"


@sensor(
    name=REPO_INBOX_SENSOR,
    job=environments_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts environments_job for each new repository snapshot: a git bundle "
    "(*.bundle) or a list of repository paths or URLs (*.repos, *.txt, one a line) dropped into "
    "<inbox>/repos/.",
)
def repo_inbox_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    folder = repo_inbox(inbox_dir())
    seen: list[str] = json.loads(context.cursor).get("seen", []) if context.cursor else []
    found, problems, settling = scan_repo_inbox(
        folder, settle_seconds=environment().inbox_settle_seconds
    )
    for problem in problems:
        context.log.warning(f"repository inbox: {problem}")
    new = {}
    for repository in found:
        if repository.snapshot_id not in seen and repository.snapshot_id not in new:
            new[repository.snapshot_id] = repository
    if not new:
        waiting = f"; {len(settling)} still being written" if settling else ""
        unreadable = f"; {len(problems)} unreadable" if problems else ""
        return SkipReason(
            f"repository inbox {folder}: {len(found)} snapshot(s), none new "
            f"({len(seen)} seen before){waiting}{unreadable}"
        )
    for snapshot_id, repository in new.items():
        context.log.info(f"{repository.found_in}: {repository.source} -> partition {snapshot_id}")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=snapshot_id,
                partition_key=snapshot_id,
                tags={"factory/repo_source": repository.source[:200]},
            )
            for snapshot_id, repository in new.items()
        ],
        dynamic_partitions_requests=[repo_partitions.build_add_request(list(new))],
        cursor=json.dumps({"seen": sorted({*seen, *new})}),
    )
